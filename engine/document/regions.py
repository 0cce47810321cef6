"""The document's regions (no_grad frames and module groups): the Region record and the
Document methods that add, change and remove them, split from model.py as queries.py is.
Each method validates first, then changes the region and emits one region_changed event."""
from __future__ import annotations

from dataclasses import dataclass

from . import rules
from .errors import DuplicateNameError, ParamError, UnknownNodeError


@dataclass
class Region:
    id: str
    title: str
    members: set[str]
    rect: tuple[float, float, float, float] | None = None
    kind: str = "no_grad"  # one of REGION_KINDS
    collapsed: bool = False  # a module group shown as one node (views only; no semantics)


# "no_grad": members run under torch.no_grad(); "module": an nn.Module's ops and parameters,
# a labelled group (title: "model.0 · Linear(...)") that changes nothing in execution
REGION_KINDS = ("no_grad", "module")


class RegionsMixin:
    """Part of Document: its region mutators (it provides regions, node(), _emit)."""

    def _check_members(self, members) -> set[str]:
        if isinstance(members, str):
            raise ParamError("region members must be a collection of node ids")
        members = set(members)
        for m in members:
            self.node(m)
        return members

    def add_region(self, title, members=(), rect=None, region_id=None, kind="no_grad",
                   at=None, collapsed=False) -> Region:
        """``at``: position in ``regions`` (default: the end), for undo."""
        members = self._check_members(members)
        if kind not in REGION_KINDS:
            raise ParamError(f"unknown region kind {kind!r} (expected 'no_grad' or 'module')")
        if not isinstance(collapsed, bool):
            raise ParamError(f"collapsed: expected true or false, got {collapsed!r}")
        if not isinstance(title, str):
            raise ParamError(f"region title must be a string, got {title!r}")
        if region_id is None:
            while f"r{self._next_region}" in self.regions:
                self._next_region += 1
            region_id = f"r{self._next_region}"
        elif region_id in self.regions:
            raise DuplicateNameError(f"region id {region_id!r} already exists")
        region = Region(region_id, title, members, rules.rect(rect), kind, collapsed)
        if at is None or at >= len(self.regions):
            self.regions[region_id] = region
        else:
            items = list(self.regions.items())
            items.insert(max(0, at), (region_id, region))
            self.regions.clear()
            self.regions.update(items)
        self._emit("region_changed", region_id=region_id,
                   detail={"what": "added", "old": set(), "new": set(members)})
        return region

    def region(self, region_id) -> Region:
        try:
            return self.regions[region_id]
        except (KeyError, TypeError):
            raise UnknownNodeError(f"no region with id {region_id!r}") from None

    def remove_region(self, region_id) -> Region:
        region = self.region(region_id)
        del self.regions[region_id]
        self._emit("region_changed", region_id=region_id,
                   detail={"what": "removed", "old": set(region.members), "new": set()})
        return region

    def set_region_members(self, region_id, members) -> None:
        region = self.region(region_id)
        members = self._check_members(members)
        old, region.members = region.members, members
        self._emit("region_changed", region_id=region_id,
                   detail={"what": "members", "old": set(old), "new": set(members)})

    def set_region_rect(self, region_id, rect) -> None:
        region = self.region(region_id)
        region.rect = rules.rect(rect)
        self._emit("region_changed", region_id=region_id, detail={"what": "rect"})

    def set_region_title(self, region_id, title) -> None:
        region = self.region(region_id)
        if not isinstance(title, str):
            raise ParamError(f"region title must be a string, got {title!r}")
        region.title = title
        self._emit("region_changed", region_id=region_id, detail={"what": "title"})

    def set_region_collapsed(self, region_id, collapsed) -> None:
        region = self.region(region_id)
        if not isinstance(collapsed, bool):
            raise ParamError(f"collapsed: expected true or false, got {collapsed!r}")
        region.collapsed = collapsed
        self._emit("region_changed", region_id=region_id, detail={"what": "collapsed"})
