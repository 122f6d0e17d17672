"""Tolerances and thresholds of the consistency checks, in one place (documented in
docs/data-quality.md). A change here changes which findings open or resolve on the next run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Thresholds:
    # Roll-up: |reported total - sum of the units| / max(|total|, |sum|) above this is inconsistent.
    rollup_tolerance: float = 0.005
    # Per indicator, where figures are rounded or estimated more coarsely (tấn, ước tính).
    rollup_tolerance_by_indicator: dict[str, float] = field(
        default_factory=lambda: {"FOOD_OUTPUT": 0.01, "TOTAL_SOCIAL_INVESTMENT": 0.02}
    )
    # Modified z-score (Iglewicz-Hoaglin): |0.6745 (x - median) / MAD| above this is an outlier.
    z_threshold: float = 3.5
    min_history: int = 6  # values of the unit's own series needed to judge against its history
    min_peers: int = 5  # units of the same level and province needed to judge against peers
    # A statistically odd value must also be far from the unit's median to be worth a finding.
    outlier_min_relative_change: float = 0.5
    # Small counts (accidents: 2 one month, 3 the next) vary like Poisson counts: a count must
    # also move more than this many sqrt(median) from its median.
    count_noise_sigmas: float = 3.0
    # x1,000 / ÷1,000 slip: ratio to the unit's median within slip_factor ×/÷ slip_band.
    slip_factor: float = 1000.0
    slip_band: float = 4.0
    min_slip_history: int = 4
    # Same period last year: amounts jump when the ratio leaves [1/yoy_ratio, yoy_ratio];
    # percentages and rates when they move more than yoy_points points.
    yoy_ratio: float = 3.0
    yoy_points: float = 20.0
    # Stocks that must not fall within a year, besides every 'last' count of the catalogue.
    cumulative_indicators: tuple[str, ...] = ()

    def sql_params(self) -> dict:
        return {
            "rollup_tolerance": self.rollup_tolerance,
            "rollup_tolerances": json.dumps(self.rollup_tolerance_by_indicator),
            "z_threshold": self.z_threshold,
            "min_history": self.min_history,
            "min_peers": self.min_peers,
            "outlier_min_change": self.outlier_min_relative_change,
            "count_noise_sigmas": self.count_noise_sigmas,
            "slip_low": self.slip_factor / self.slip_band,
            "slip_high": self.slip_factor * self.slip_band,
            "min_slip_history": self.min_slip_history,
            "yoy_ratio": self.yoy_ratio,
            "yoy_points": self.yoy_points,
            "cumulative_indicators": list(self.cumulative_indicators),
        }
