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
from typing import Annotated, Any, Literal

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

    def scaled(self, factor: float) -> Dist:
        """Return the same shape with every value multiplied by ``factor`` (> 0)."""
        raise NotImplementedError  # pragma: no cover


class Constant(_Dist):
    """Always the same value."""

    dist: Literal["constant"]
    value: FiniteFloat

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

    def scaled(self, factor: float) -> Dist:  # noqa: D102
        return Constant(dist="constant", value=self.value * factor)


class Exponential(_Dist):
    """Exponential with the given mean (cv = 1)."""

    dist: Literal["exponential"]
    mean_: PositiveFloat = Field(alias="mean")
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def mean(self) -> float:  # noqa: D102
        return self.mean_

    @property
    def cv(self) -> float:  # noqa: D102
        return 1.0

    def quantile(self, p: float) -> float:  # noqa: D102
        return -self.mean_ * math.log1p(-p)

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.exponential(self.mean_, n)

    def scaled(self, factor: float) -> Dist:  # noqa: D102
        return Exponential(dist="exponential", mean=self.mean_ * factor)


class Erlang(_Dist):
    """Erlang-k: the sum of k exponential phases, cv = 1/sqrt(k)."""

    dist: Literal["erlang"]
    k: Annotated[Integer, Field(ge=1, le=1000)]
    mean_: PositiveFloat = Field(alias="mean")
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def mean(self) -> float:  # noqa: D102
        return self.mean_

    @property
    def cv(self) -> float:  # noqa: D102
        return 1.0 / math.sqrt(self.k)

    def quantile(self, p: float) -> float:  # noqa: D102
        return _gamma_quantile(self.mean_, float(self.k), p)

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.gamma(self.k, self.mean_ / self.k, n)

    def scaled(self, factor: float) -> Dist:  # noqa: D102
        return Erlang(dist="erlang", k=self.k, mean=self.mean_ * factor)


class _MeanCv(_Dist):
    mean_: PositiveFloat = Field(alias="mean")
    cv_: Annotated[Number, Field(gt=0, le=10)] = Field(alias="cv")
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def mean(self) -> float:  # noqa: D102
        return self.mean_

    @property
    def cv(self) -> float:  # noqa: D102
        return self.cv_

    def scaled(self, factor: float) -> Dist:  # noqa: D102
        return type(self)(dist=self.dist, mean=self.mean_ * factor, cv=self.cv_)  # type: ignore[attr-defined]


class Gamma(_MeanCv):
    """Gamma given by its mean and coefficient of variation."""

    dist: Literal["gamma"]

    def quantile(self, p: float) -> float:  # noqa: D102
        return _gamma_quantile(self.mean_, 1.0 / self.cv_**2, p)

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        shape = 1.0 / self.cv_**2
        return rng.gamma(shape, self.mean_ / shape, n)


class Lognormal(_MeanCv):
    """Lognormal given by its mean and coefficient of variation (not by mu and sigma)."""

    dist: Literal["lognormal"]

    def quantile(self, p: float) -> float:  # noqa: D102
        sigma2 = math.log1p(self.cv_**2)
        mu = math.log(self.mean_) - sigma2 / 2
        return math.exp(mu + math.sqrt(sigma2) * NormalDist().inv_cdf(p))

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        sigma2 = math.log1p(self.cv_**2)
        mu = math.log(self.mean_) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), n)


class Normal(_Dist):
    """Normal; only for quantities that may be negative, such as liner lateness."""

    dist: Literal["normal"]
    mean_: FiniteFloat = Field(alias="mean")
    sd: NonNegFloat
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def mean(self) -> float:  # noqa: D102
        return self.mean_

    @property
    def cv(self) -> float:  # noqa: D102
        return self.sd / abs(self.mean_) if self.mean_ else 0.0

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

    def scaled(self, factor: float) -> Dist:  # noqa: D102
        return Normal(dist="normal", mean=self.mean_ * factor, sd=self.sd * factor)


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: FiniteFloat
    high: FiniteFloat

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
        sd = (self.high - self.low) / math.sqrt(12)
        return sd / abs(self.mean) if self.mean else 0.0

    @property
    def minimum(self) -> float:  # noqa: D102
        return self.low

    @property
    def maximum(self) -> float:  # noqa: D102
        return self.high

    def quantile(self, p: float) -> float:  # noqa: D102
        return self.low + p * (self.high - self.low)

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.uniform(self.low, self.high, n)

    def scaled(self, factor: float) -> Dist:  # noqa: D102
        return Uniform(dist="uniform", low=self.low * factor, high=self.high * factor)


class Triangular(_Dist):
    """Triangular with minimum ``low``, mode ``mode`` and maximum ``high``."""

    dist: Literal["triangular"]
    low: FiniteFloat
    mode: FiniteFloat
    high: FiniteFloat

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
        return math.sqrt(var) / abs(self.mean) if self.mean else 0.0

    @property
    def minimum(self) -> float:  # noqa: D102
        return self.low

    @property
    def maximum(self) -> float:  # noqa: D102
        return self.high

    def quantile(self, p: float) -> float:  # noqa: D102
        a, c, b = self.low, self.mode, self.high
        if p < (c - a) / (b - a):
            return a + math.sqrt(p * (b - a) * (c - a))
        return b - math.sqrt((1 - p) * (b - a) * (b - c))

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:  # noqa: D102
        return rng.triangular(self.low, self.mode, self.high, n)

    def scaled(self, factor: float) -> Dist:  # noqa: D102
        return Triangular(
            dist="triangular",
            low=self.low * factor,
            mode=self.mode * factor,
            high=self.high * factor,
        )


class Empirical(_Dist):
    """Values drawn from a list, with optional weights (relative, not necessarily summing to 1)."""

    dist: Literal["empirical"]
    values: Annotated[list[FiniteFloat], Field(min_length=1, max_length=10_000)]
    weights: Annotated[list[PositiveFloat], Field(max_length=10_000)] | None = None

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
        sd = math.sqrt(max(float(np.dot(p, (v - m) ** 2)), 0.0))
        return sd / abs(m) if m else 0.0

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

    def scaled(self, factor: float) -> Dist:  # noqa: D102
        return Empirical(
            dist="empirical", values=[v * factor for v in self.values], weights=self.weights
        )


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

DIST_NAMES = (
    "constant",
    "exponential",
    "erlang",
    "gamma",
    "lognormal",
    "normal",
    "uniform",
    "triangular",
    "empirical",
)

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
