"""``lygsim new``: a small, commented scenario for a port of your own.

Each cargo kind has a template of typical values: one berth group (size class, equipment,
handling rate, berthing times), one ship class, a yard and the service-level thresholds,
each value with its source. Sources, as in the shipped scenarios: OTS = OpenTISim defaults
(PIANC / UNCTAD values as quoted there), JTS 165 = the Chinese sea-port design code,
PRESS = press reports on equipment rates; "estimate" where nothing was published.

Demand is derived, not guessed: the arrival rate puts the terminal's berth occupancy at a
moderate level chosen by its number of berths (after UNCTAD's guidance that fewer berths
need more slack), computed from the mean time a ship holds a berth. The channel is deep
enough for every ship at any tide, so the file needs no tide section.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lygsim.errors import UsageError
from lygsim.scenario import UNITS, Cargo
from lygsim.units import HOURS_PER_YEAR

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
MAX_BERTHS = 50
DEFAULT_TERMINALS = "container:2"
TRANSIT_H = 1.0
UKC_M = 1.5
YARD_UTILISATION = 0.5


@dataclass(frozen=True)
class Tri:
    """A triangular distribution ``low <= mode <= high`` (all > 0)."""

    low: float
    mode: float
    high: float

    @property
    def mean(self) -> float:
        """Expected value."""
        return (self.low + self.mode + self.high) / 3.0

    @property
    def inverse_mean(self) -> float:
        """E[1/X], exact: a handling time is size / rate, and E[1/rate] > 1/E[rate]."""
        a, c, b = self.low, self.mode, self.high
        left = ((c - a) - a * math.log(c / a)) / (c - a) if c > a else 0.0
        right = (b * math.log(b / c) - (b - c)) / (b - c) if b > c else 0.0
        return 2.0 / (b - a) * (left + right)

    def flow(self) -> str:
        """The distribution in YAML flow style."""
        return f"{{dist: triangular, low: {self.low:g}, mode: {self.mode:g}, high: {self.high:g}}}"


@dataclass(frozen=True)
class Kind:
    """Typical values for one cargo kind, with the source of each in ``notes``."""

    cargo: Cargo
    berth_group: str
    max_dwt_t: float
    max_loa_m: float
    max_draft_m: float
    equipment: int
    equipment_name: str
    rate: Tri
    efficiency: Tri
    berthing_h: Tri
    unberthing_h: Tri
    ship_class: str
    ship_note: str
    dwt_t: float
    loa_m: float
    draft_m: float
    call_size: Tri | tuple[float, float]  # triangular, or gamma (mean, cv)
    dwell_mean_h: float
    dwell_cv: float
    import_share: float
    max_wait_service_ratio: float
    max_occupancy: float
    notes: dict[str, str]
    capacity: tuple[str, float] | None = None  # capacity_teu or capacity_ceu

    @property
    def unit(self) -> str:
        """The terminal's unit: TEU, t or vehicles."""
        return UNITS[self.cargo]

    @property
    def call_mean(self) -> float:
        """Mean cargo per call, in the terminal's unit."""
        return self.call_size.mean if isinstance(self.call_size, Tri) else self.call_size[0]

    def berth_time_h(self) -> float:
        """Mean time a ship holds a berth: transit, berthing, handling and unberthing."""
        handling = (
            self.call_mean * self.rate.inverse_mean * self.efficiency.inverse_mean / self.equipment
        )
        return TRANSIT_H + self.berthing_h.mean + handling + self.unberthing_h.mean


_SHIP_SIZE = "estimate: typical of the class"
_TRIANGULAR = ("rate", "efficiency", "berthing_h", "unberthing_h")


def _kind(cargo: str, row: Mapping[str, Any]) -> Kind:
    """One cargo kind's template from its entry in ``new_port_kinds.yaml``."""
    values = dict(row)
    for name in _TRIANGULAR:
        values[name] = Tri(*values[name])
    size = values["call_size"]
    values["call_size"] = (size["mean"], size["cv"]) if isinstance(size, Mapping) else Tri(*size)
    if "capacity" in values:
        ((unit, capacity),) = values["capacity"].items()
        values["capacity"] = (unit, capacity)
    return Kind(cargo=Cargo(cargo), **values)


def _load_kinds() -> dict[Cargo, Kind]:
    # the values and their sources are a table, kept as data beside this module
    text = resources.files("lygsim").joinpath("new_port_kinds.yaml").read_text(encoding="utf-8")
    return {Cargo(cargo): _kind(cargo, row) for cargo, row in yaml.safe_load(text).items()}


KINDS: dict[Cargo, Kind] = _load_kinds()
"""The template of each cargo kind."""


def target_occupancy(berths: int) -> float:
    """Berth occupancy the generated demand aims at: more berths pool better (UNCTAD)."""
    return 0.5 if berths <= 2 else (0.55 if berths == 3 else 0.6)


def parse_terminals(text: str) -> list[tuple[Cargo, int]]:
    """``container:2,dry_bulk:1`` -> [(container, 2), (dry_bulk, 1)]; a bare kind has 2 berths.

    Raises:
        UsageError: On an unknown kind, a kind listed twice, a count outside 1-50 or bad syntax.
    """
    out: list[tuple[Cargo, int]] = []
    allowed = ", ".join(c.value for c in Cargo)
    where = f"lygsim new: --terminals {text}"
    for item in text.split(","):
        kind, _, count = item.strip().partition(":")
        kind = kind.strip()
        if not kind:
            raise UsageError(f"{where}: expected KIND:BERTHS,..., e.g. container:2")
        if kind not in Cargo.__members__:
            raise UsageError(f"{where}: unknown cargo kind '{kind}' (allowed: {allowed})")
        if any(c.value == kind for c, _ in out):
            raise UsageError(f"{where}: '{kind}' is listed twice")
        count = count.strip() or "2"
        if not count.isdigit() or not 1 <= int(count) <= MAX_BERTHS:
            raise UsageError(
                f"{where}: '{kind}' needs a whole number of berths from 1 to {MAX_BERTHS} "
                f"(got '{count}')"
            )
        out.append((Cargo(kind), int(count)))
    return out


def kinds_table() -> str:
    """The text ``lygsim new --list`` prints: each cargo kind with its units and template."""
    rows = [("kind", "unit", "handling rate", "template ship", "template berth")]
    for k in KINDS.values():
        rows.append(
            (
                k.cargo.value,
                k.unit,
                f"{k.unit}/h per {k.equipment_name}",
                f"{k.ship_class} ({k.dwt_t:,.0f} t dwt, draft {k.draft_m:g} m)",
                f"{k.equipment} x {k.equipment_name}, up to {k.max_dwt_t:,.0f} t",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def _line(indent: int, key: str, value: object, unit: str, note: str = "") -> str:
    """``key: value  # [unit] note``, the comment aligned where it fits."""
    text = " " * indent + f"{key}: {value}"
    comment = f"# [{unit}]" + (f" {note}" if note else "")
    return f"{text.ljust(34)} {comment}" if len(text) < 34 else f"{text}  {comment}"


def _nice(x: float) -> float:
    """Round up to two significant figures (a yard size a planner would write)."""
    if x <= 0:
        return 1.0
    step = 10 ** (math.floor(math.log10(x)) - 1)
    return math.ceil(x / step) * step


def _terminal_lines(k: Kind, berths: int, calls: float) -> list[str]:
    n, u = k.notes, k.unit
    stock = calls * k.call_mean * k.import_share * k.dwell_mean_h / HOURS_PER_YEAR
    capacity = _nice(max(stock / YARD_UTILISATION, 3 * k.call_mean * k.import_share))
    return [
        f"  {k.cargo.value}:",
        _line(4, "cargo", k.cargo.value, "no unit", f"cargo kind; the terminal counts in {u}"),
        "    berths:",
        f"      {k.berth_group}:",
        _line(8, "count", berths, "berths", "identical berths of this group"),
        _line(8, "max_dwt_t", f"{k.max_dwt_t:g}", "t", "largest ship the berth takes (estimate)"),
        _line(8, "max_loa_m", f"{k.max_loa_m:g}", "m", "estimate: matches the size class"),
        _line(8, "max_draft_m", f"{k.max_draft_m:g}", "m", "estimate: matches the size class"),
        _line(8, "equipment", k.equipment, f"{k.equipment_name}s per berth", n["equipment"]),
        _line(8, "rate", k.rate.flow(), f"{u}/h per {k.equipment_name}", n["rate"]),
        _line(8, "efficiency", k.efficiency.flow(), "no unit: share of rate", n["efficiency"]),
        _line(8, "berthing_h", k.berthing_h.flow(), "h", n["berthing_h"]),
        _line(8, "unberthing_h", k.unberthing_h.flow(), "h", "shorter than berthing"),
        "    yard:",
        _line(6, "capacity", f"{capacity:.0f}", u, f"sized for ~{YARD_UTILISATION:.0%} use here"),
        _line(
            6, "dwell_h", f"{{dist: gamma, mean: {k.dwell_mean_h:g}, cv: {k.dwell_cv:g}}}", "h",
            n["dwell"],
        ),
        _line(6, "import_share", f"{k.import_share:g}", "no unit: share", n["import_share"]),
        "    thresholds:                  # beyond these the terminal is congested",
        _line(
            6, "max_wait_service_ratio", f"{k.max_wait_service_ratio:g}", "no unit: W/S",
            n["thresholds"],
        ),
        _line(6, "max_occupancy", f"{k.max_occupancy:g}", "no unit: share of berth time"),
    ]  # fmt: skip


def _ship_lines(k: Kind) -> list[str]:
    cs = k.call_size
    call = cs.flow() if isinstance(cs, Tri) else f"{{dist: gamma, mean: {cs[0]:g}, cv: {cs[1]:g}}}"
    lines = [
        f"  {k.ship_class}:{' ' * max(1, 32 - len(k.ship_class))}# {k.ship_note}",
        _line(4, "terminal", k.cargo.value, "no unit", "key of the terminal it calls at"),
        _line(4, "dwt_t", f"{k.dwt_t:g}", "t", _SHIP_SIZE),
        _line(4, "loa_m", f"{k.loa_m:g}", "m", _SHIP_SIZE),
        _line(4, "draft_m", f"{k.draft_m:g}", "m", _SHIP_SIZE),
    ]
    if k.capacity is not None:
        key, value = k.capacity
        unit = "TEU" if key == "capacity_teu" else "CEU (car equivalent units)"
        lines.append(_line(4, key, f"{value:g}", unit, _SHIP_SIZE))
    lines.append(_line(4, "call_size", call, f"{k.unit} per call", k.notes["call_size"]))
    return lines


def scenario_text(name: str, terminals: list[tuple[Cargo, int]]) -> str:
    """The commented scenario file for ``lygsim new NAME --terminals ...``."""
    kinds = [(KINDS[c], b) for c, b in terminals]
    depth = math.ceil(2 * max(k.draft_m + UKC_M for k, _ in kinds)) / 2
    asked = ",".join(f"{c.value}:{b}" for c, b in terminals)
    out = [
        f"# {name}: a starting scenario written by `lygsim new {name} --terminals {asked}`.",
        "#",
        "# Every field says its unit in [brackets] and where its value comes from. Replace the",
        "# typical values with your port's own, then run:",
        f"#   lygsim validate {name}.yaml",
        f"#   lygsim run {name}.yaml --reps 5",
        "# Sources: OTS = OpenTISim defaults (PIANC / UNCTAD values as quoted there);",
        "# JTS 165 = Chinese sea-port design code; PRESS = press reports on equipment rates.",
        "# Every field is described in docs/scenario-reference.md (`lygsim schema --markdown`).",
        "",
        "scenario:",
        # quoted: a name such as "yes" or "null" would otherwise read as another type
        _line(2, "name", f'"{name}"', "no unit", "results go to results/<name>/"),
        _line(2, "description", "Starting scenario; replace with your port's figures.", "text"),
        _line(2, "start_date", "2025-01-01", "date", "calendar date of time 0"),
        _line(2, "warmup_days", 30, "days", "simulated and dropped: queues fill up first"),
        _line(2, "horizon_days", 395, "days", "warm-up + one observed year"),
        "  sources:",
        '    - "OpenTISim defaults (PIANC/UNCTAD typical values, service-level thresholds)"',
        '    - "JTS 165 (Chinese sea-port design code: berthing times, crane rates, occupancy)"',
        '    - "Press reports (unloader and ramp rates)"',
        "",
        "conversion:                      # for the port-wide tonnage, as port statistics count",
        _line(2, "tons_per_teu", 12, "t/TEU", "estimate: commonly 10-13 t/TEU with the box"),
        _line(2, "tons_per_vehicle", 1.5, "t/vehicle", "estimate: mostly cars"),
        "",
        "# A terminal handles one cargo kind; a ship takes the first free berth that fits it.",
        "terminals:",
    ]
    calls = {}
    for k, b in kinds:
        calls[k.cargo] = target_occupancy(b) * b * HOURS_PER_YEAR / k.berth_time_h()
        out += _terminal_lines(k, b, calls[k.cargo])
    out += ["", "# A ship class names its terminal by the terminal's key above.", "ship_classes:"]
    for k, _ in kinds:
        out += _ship_lines(k)
    out += ["", "# Demand: one random (Poisson) arrival stream per ship class.", "arrivals:"]
    for k, b in kinds:
        occ, t_h = target_occupancy(b), k.berth_time_h()
        out += [
            f"  {k.ship_class}_calls:",
            _line(4, "kind", "poisson", "no unit", "random arrivals at a yearly rate"),
            _line(4, "ship_class", k.ship_class, "no unit", "key of a ship class above"),
            _line(
                4, "calls_per_year", f"{calls[k.cargo]:.1f}", "calls/year",
                f"occupancy {occ:g} = rate x {t_h:.1f} h at berth / ({b} x 8,760 h)",
            ),
            _line(4, "growth_per_year", 0.0, "no unit: share per year", "e.g. 0.05 for +5%/yr"),
        ]  # fmt: skip
    out += [
        "",
        "# The approach channel, one for the whole port. Deep enough for every ship above at",
        "# any tide (draft + ukc <= depth), so no tide section is needed; make it shallower and",
        "# add a tide (period_h, high_water_m, window_h) to make deep ships wait for high water.",
        "nautical:",
        _line(2, "channel_depth_m", f"{depth:g}", "m", "below chart datum"),
        _line(2, "ukc_m", UKC_M, "m", "under-keel clearance required"),
        _line(2, "transit_h", TRANSIT_H, "h", "anchorage to berth, holding the berth"),
        "",
    ]
    return "\n".join(out)


def write_new(
    name: str, terminals_text: str | None, out: Path | None, force: bool = False
) -> tuple[Path, list[tuple[Cargo, int]]]:
    """Write the scenario of ``lygsim new`` and return its path and terminals.

    The text is validated before anything is written, and written atomically.

    Raises:
        UsageError: On a bad name, bad ``--terminals``, an existing file without ``force``,
            or an ``--out`` that cannot be written.
    """
    from lygsim.loader import validate_data

    if not NAME_RE.match(name) or len(name) > 64:
        raise UsageError(
            f"lygsim new: '{name}' is not a valid scenario name (a letter, then letters, "
            "digits, '_' or '-', at most 64 characters)"
        )
    terminals = parse_terminals(DEFAULT_TERMINALS if terminals_text is None else terminals_text)
    path = Path(f"{name}.yaml") if out is None else out
    text = scenario_text(name, terminals)
    validate_data(yaml.safe_load(text), str(path))  # never write a file that fails
    try:
        if path.is_dir():
            raise UsageError(f"lygsim new: {path} is a folder; --out needs a file name")
        if path.exists() and not force:
            raise UsageError(f"lygsim new: {path} exists; choose another --out or add --force")
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise UsageError(f"lygsim new: --out {path}: {blocker} is a file, not a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise UsageError(f"lygsim new: --out {path}: cannot write there: {why}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a scenario is meant to be shared
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        why = exc.strerror or str(exc)
        raise UsageError(f"lygsim new: --out {path}: cannot write there: {why}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path, terminals
