"""The scenario's `sensing:` block: imagers, the image, the on-board model, events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = ["Event", "RandomEvents", "SensingSpec"]


def _offset(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Event(_Model):
    """A flood or fire at lat/lon starting `at`: a duration after the epoch ('2h') or UTC time."""

    name: str | None = None
    kind: Literal["flood", "fire", "other"] = "flood"
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=360)
    at: Annotated[str | float, BeforeValidator(_offset)] = 0.0


class RandomEvents(_Model):
    """count events at uniform times in the run, uniform on the sphere within a latitude band."""

    count: int = Field(gt=0, le=100_000)
    max_lat_deg: float = Field(60.0, gt=0, le=90)
    kinds: list[Literal["flood", "fire", "other"]] = ["flood", "fire"]
    seed: int | None = None


class SensingSpec(_Model):
    """The `sensing:` block: imagers, image, model and links."""

    constellations: list[str] | None = None  # imaging constellations (default: all)
    swath_km: float = Field(100.0, gt=0, le=5000)
    image_mb: float | None = Field(None, gt=0, description="per image; default from the scene")
    scene_km: float = Field(20.0, gt=0)
    gsd_m: float = Field(1.0, gt=0)
    bands: int = Field(4, ge=1)
    bits_per_pixel: int = Field(12, ge=1)
    inference_gops_per_mpixel: float = Field(100.0, gt=0)
    precision: str = "int8"
    utilisation: float = Field(0.3, gt=0, le=1)
    alert_kb: float = Field(10.0, gt=0)
    downlink_mbps: float | None = Field(None, gt=0, description="satellite radio ceiling; "
                                        "default: the station's ground link model alone")
    ground_processing_s: float = Field(1800.0, ge=0)
    delivery_s: float = Field(60.0, ge=0)
    isl: bool | None = None  # default: when the constellation has ISLs
    events: list[Event] = []
    random_events: RandomEvents | None = None

    @property
    def pixels(self) -> float:
        return (self.scene_km * 1e3 / self.gsd_m) ** 2

    @property
    def image_bytes(self) -> float:
        if self.image_mb is not None:
            return self.image_mb * 1e6
        return self.pixels * self.bands * self.bits_per_pixel / 8.0

    @property
    def inference_ops(self) -> float:
        return self.pixels / 1e6 * self.inference_gops_per_mpixel * 1e9
