"""Probability distributions declared in scenario YAML.

A distribution is written as a mapping with a ``dist`` tag and its parameters, for example
``{dist: lognormal, mean: 800, cv: 0.6}``, ``{dist: erlang, k: 2, mean: 12}`` or
``{dist: constant, value: 3}``. Each class checks its parameters, knows its ``mean`` and
``cv`` and draws values with :meth:`sample` (one value) or :meth:`sample_n` (an array).
Draws for the simulation go through :func:`sampler`, which buffers numpy draws so that a
single value costs a list pop rather than a numpy call.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from statistics import NormalDist
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

MAX_PARAMETER = 1e7
"""Largest absolute value of a distribution parameter: no size, rate or duration of a
port call comes near ten million of its unit (tonnes, TEU, vehicles, hours)."""


def _not_bool(value: Any) -> Any:
    # YAML reads ``true`` as a boolean, which Python (and lax pydantic) would count as 1
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


NotBool = BeforeValidator(_not_bool)
"""Put in an ``Annotated`` number type: refuses ``true``/``false`` where a number is expected."""

Number = Annotated[float, NotBool, Field(allow_inf_nan=False)]
"""A finite number, never a boolean; bound it further with ``Annotated[Number, Field(...)]``."""
Integer = Annotated[int, NotBool]
"""An integer, never a boolean; bound it further with ``Annotated[Integer, Field(...)]``."""

PositiveFloat = Annotated[Number, Field(gt=0, le=MAX_PARAMETER)]
NonNegFloat = Annotated[Number, Field(ge=0, le=MAX_PARAMETER)]
FiniteFloat = Annotated[Number, Field(ge=-MAX_PARAMETER, le=MAX_PARAMETER)]


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    _scaled_fields: ClassVar[tuple[str, ...]] = ()
    """The fields that :meth:`scaled` multiplies: those in the unit of the drawn values."""
    doc_parameters: ClassVar[str] = ""
    """The parameters and their bounds, for the scenario reference."""
    doc_notes: ClassVar[str] = ""
    """What to know when choosing it, for the scenario reference."""

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        """Expected value."""
        raise NotImplementedError

    @property
    def cv(self) -> float:  # pragma: no cover - overridden
        """Coefficient of variation (standard deviation over mean; 0 if the mean is 0)."""
        raise NotImplementedError

    @property
    def minimum(self) -> float:
        """Smallest value the distribution can take."""
        return 0.0

    @property
    def maximum(self) -> float:
        """Largest value the distribution can take (``inf`` if unbounded)."""
        return math.inf

    def quantile(self, p: float) -> float:  # pragma: no cover - overridden
        """The value below which a share ``p`` (in (0, 1)) of the draws falls.

        Approximate for gamma and erlang, whose quantiles have no closed form.
        """
        raise NotImplementedError

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        """Draw ``n`` values."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one value."""
        return float(self.sample_n(rng, 1)[0])

    def scaled(self, factor: float) -> Self:
        """Return the same shape with every value multiplied by ``factor`` (> 0)."""
        values = dict(self)
        for name in self._scaled_fields:
            value = values[name]
            values[name] = (
                [v * factor for v in value] if isinstance(value, list) else value * factor
            )
        # validated again, so that scaling cannot carry a parameter out of its bounds
        return self.model_validate(values)


def _cv(sd: float, mean: float) -> float:
    return sd / abs(mean) if mean else 0.0


class _ByMean(_Dist):
    """A distribution with a ``mean`` parameter (the field ``mean_``, beside the property)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    _scaled_fields: ClassVar[tuple[str, ...]] = ("mean_",)

    if TYPE_CHECKING:
        # each subclass declares the field with its own bounds
        mean_: float

    @property
    def mean(self) -> float:  # noqa: D102
        return self.mean_


class _Interval(_Dist):
    """A distribution on the closed interval [low, high]."""

    if TYPE_CHECKING:
        # each subclass declares the fields, in the order its YAML form lists them
        low: float
        high: float

    @property
    def minimum(self) -> float:  # noqa: D102
        return self.low

    @property
    def maximum(self) -> float:  # noqa: D102
        return self.high


class Constant(_Dist):
    """Always the same value."""

    doc_parameters = "value"
    doc_notes = "always the same value"

    dist: Literal["constant"]
    value: FiniteFloat
    _scaled_fields = ("value",)

    @property
    def mean(self) -> float:  # noqa: D102
        return self.value

    @property
    def cv(self) -> float:  # noqa: D102
        return 0.0

    @property
    def minimum(self) -> float:  # noqa: D102
        return self.value

    @property
    def maximum(self) -> float:  # noqa: D102
        return self.value

    def quantile(self, p: float) -> float:  # noqa: D102
        return self.value

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return np.full(n, self.value)


class Exponential(_ByMean):
    """Exponential with the given mean (cv = 1)."""

    doc_parameters = "mean > 0"
    doc_notes = "cv = 1; unbounded above"

    dist: Literal["exponential"]
    mean_: PositiveFloat = Field(alias="mean")

    @property
    def cv(self) -> float:  # noqa: D102
        return 1.0

    def quantile(self, p: float) -> float:  # noqa: D102
        return -self.mean_ * math.log1p(-p)

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.exponential(self.mean_, n)


class Erlang(_ByMean):
    """Erlang-k: the sum of k exponential phases, cv = 1/sqrt(k)."""

    doc_parameters = "k in [1, 1000], mean > 0"
    doc_notes = "cv = 1/sqrt(k); unbounded above"

    dist: Literal["erlang"]
    k: Annotated[Integer, Field(ge=1, le=1000)]
    mean_: PositiveFloat = Field(alias="mean")

    @property
    def cv(self) -> float:  # noqa: D102
        return 1.0 / math.sqrt(self.k)

    def quantile(self, p: float) -> float:  # noqa: D102
        return _gamma_quantile(self.mean_, float(self.k), p)

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.gamma(self.k, self.mean_ / self.k, n)


class _MeanCv(_ByMean):
    mean_: PositiveFloat = Field(alias="mean")
    cv_: Annotated[Number, Field(gt=0, le=10)] = Field(alias="cv")

    @property
    def cv(self) -> float:  # noqa: D102
        return self.cv_


class Gamma(_MeanCv):
    """Gamma given by its mean and coefficient of variation."""

    doc_parameters = "mean > 0, cv in (0, 10]"
    doc_notes = "unbounded above"

    dist: Literal["gamma"]

    def quantile(self, p: float) -> float:  # noqa: D102
        return _gamma_quantile(self.mean_, 1.0 / self.cv_**2, p)

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        shape = 1.0 / self.cv_**2
        return rng.gamma(shape, self.mean_ / shape, n)


class Lognormal(_MeanCv):
    """Lognormal given by its mean and coefficient of variation (not by mu and sigma)."""

    doc_parameters = "mean > 0, cv in (0, 10]"
    doc_notes = "mean and cv of the values, not of their log; unbounded above"

    dist: Literal["lognormal"]

    def _mu_sigma(self) -> tuple[float, float]:
        sigma2 = math.log1p(self.cv_**2)
        return math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2)

    def quantile(self, p: float) -> float:  # noqa: D102
        mu, sigma = self._mu_sigma()
        return math.exp(mu + sigma * NormalDist().inv_cdf(p))

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        mu, sigma = self._mu_sigma()
        return rng.lognormal(mu, sigma, n)


class Normal(_ByMean):
    """Normal; only for quantities that may be negative, such as liner lateness."""

    doc_parameters = "mean, sd >= 0"
    doc_notes = "may be negative: only for lateness; unbounded"

    dist: Literal["normal"]
    mean_: FiniteFloat = Field(alias="mean")
    sd: NonNegFloat
    _scaled_fields = ("mean_", "sd")

    @property
    def cv(self) -> float:  # noqa: D102
        return _cv(self.sd, self.mean_)

    @property
    def minimum(self) -> float:  # noqa: D102
        return -math.inf if self.sd > 0 else self.mean_

    @property
    def maximum(self) -> float:  # noqa: D102
        return math.inf if self.sd > 0 else self.mean_

    def quantile(self, p: float) -> float:  # noqa: D102
        return self.mean_ + self.sd * NormalDist().inv_cdf(p) if self.sd > 0 else self.mean_

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.normal(self.mean_, self.sd, n)


class Uniform(_Interval):
    """Uniform on [low, high]."""

    doc_parameters = "low <= high"
    doc_notes = "bounded: values in [low, high]"

    dist: Literal["uniform"]
    low: FiniteFloat
    high: FiniteFloat
    _scaled_fields = ("low", "high")

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self

    @property
    def mean(self) -> float:  # noqa: D102
        return (self.low + self.high) / 2

    @property
    def cv(self) -> float:  # noqa: D102
        return _cv((self.high - self.low) / math.sqrt(12), self.mean)

    def quantile(self, p: float) -> float:  # noqa: D102
        return self.low + p * (self.high - self.low)

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.uniform(self.low, self.high, n)


class Triangular(_Interval):
    """Triangular with minimum ``low``, mode ``mode`` and maximum ``high``."""

    doc_parameters = "low <= mode <= high, low < high"
    doc_notes = "bounded: values in [low, high]"

    dist: Literal["triangular"]
    low: FiniteFloat
    mode: FiniteFloat
    high: FiniteFloat
    _scaled_fields = ("low", "mode", "high")

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError("need low <= mode <= high and low < high")
        return self

    @property
    def mean(self) -> float:  # noqa: D102
        return (self.low + self.mode + self.high) / 3

    @property
    def cv(self) -> float:  # noqa: D102
        a, c, b = self.low, self.mode, self.high
        var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        return _cv(math.sqrt(var), self.mean)

    def quantile(self, p: float) -> float:  # noqa: D102
        a, c, b = self.low, self.mode, self.high
        if p < (c - a) / (b - a):
            return a + math.sqrt(p * (b - a) * (c - a))
        return b - math.sqrt((1 - p) * (b - a) * (b - c))

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.triangular(self.low, self.mode, self.high, n)


class Empirical(_Dist):
    """Values drawn from a list, with optional weights (relative, not necessarily summing to 1)."""

    doc_parameters = "values, weights (optional, > 0; as many as values)"
    doc_notes = "weights are relative; at most 10,000 values"

    dist: Literal["empirical"]
    values: Annotated[list[FiniteFloat], Field(min_length=1, max_length=10_000)]
    weights: Annotated[list[PositiveFloat], Field(max_length=10_000)] | None = None
    _scaled_fields = ("values",)

    @model_validator(mode="after")
    def _same_length(self) -> Empirical:
        if self.weights is not None and len(self.weights) != len(self.values):
            raise ValueError(
                f"weights has {len(self.weights)} entries but values has {len(self.values)}"
            )
        return self

    def _p(self) -> np.ndarray:
        if self.weights is None:
            return np.full(len(self.values), 1.0 / len(self.values))
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    @property
    def mean(self) -> float:  # noqa: D102
        return float(np.dot(self._p(), self.values))

    @property
    def cv(self) -> float:  # noqa: D102
        p, v = self._p(), np.asarray(self.values)
        m = float(np.dot(p, v))
        return _cv(math.sqrt(max(float(np.dot(p, (v - m) ** 2)), 0.0)), m)

    @property
    def minimum(self) -> float:  # noqa: D102
        return float(min(self.values))

    @property
    def maximum(self) -> float:  # noqa: D102
        return float(max(self.values))

    def quantile(self, p: float) -> float:  # noqa: D102
        order = np.argsort(self.values)
        cum = np.cumsum(self._p()[order])
        i = min(int(np.searchsorted(cum, p - 1e-12)), len(order) - 1)
        return float(np.asarray(self.values)[order][i])

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.choice(np.asarray(self.values, dtype=float), size=n, p=self._p())


def _gamma_quantile(mean: float, shape: float, p: float) -> float:
    # Wilson-Hilferty: the cube root of a gamma variable is nearly normal; within a few
    # per cent in the upper tail for shapes above ~0.5, enough for plausibility checks
    z = NormalDist().inv_cdf(p)
    c = 1.0 / (9.0 * shape)
    return mean * max(1.0 - c + z * math.sqrt(c), 0.0) ** 3


Dist = Annotated[
    Constant | Exponential | Erlang | Gamma | Lognormal | Normal | Uniform | Triangular | Empirical,
    Field(discriminator="dist"),
]
"""Any distribution, chosen by its ``dist`` tag."""

DIST_CLASSES: dict[str, type[_Dist]] = {
    "constant": Constant,
    "exponential": Exponential,
    "erlang": Erlang,
    "gamma": Gamma,
    "lognormal": Lognormal,
    "normal": Normal,
    "uniform": Uniform,
    "triangular": Triangular,
    "empirical": Empirical,
}
"""Each distribution's class by its ``dist`` tag."""
DIST_NAMES = tuple(DIST_CLASSES)

_BLOCK = 1024


def sampler(dist: _Dist, rng: np.random.Generator) -> Callable[[], float]:
    """Return a zero-argument function that draws the next value of ``dist`` from ``rng``.

    Constants cost nothing; other distributions are drawn from ``rng`` in blocks, so the
    sequence of values depends only on the stream and the order of calls.
    """
    if isinstance(dist, Constant):
        value = float(dist.value)
        return lambda: value
    # a compact buffer (8 bytes a value, not a Python float each): a port has hundreds of
    # samplers, and the values and their order are the same as drawing one at a time
    buf = array("d")
    pos = 0

    def draw() -> float:
        nonlocal buf, pos
        if pos == len(buf):
            buf = array("d", dist.sample_n(rng, _BLOCK).tobytes())
            pos = 0
        value = buf[pos]
        pos += 1
        return value

    return draw
