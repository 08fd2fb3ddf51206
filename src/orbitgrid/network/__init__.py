"""Network layer: link models, ISL topologies, routing and contact plans (pure numeric core)."""

from orbitgrid.network.links import (
    GroundLink,
    IslConfig,
    OpticalTerminal,
    ground_link_rate_bps,
    latency_s,
    optical_isl_rate_bps,
)
from orbitgrid.network.routing import (
    ContactPlan,
    NetworkGraph,
    build_graph,
    contacts_from_steps,
    earliest_arrival,
    max_min_fair,
    node_path,
    route,
    shortest_paths,
)
from orbitgrid.network.topology import (
    filter_edges,
    ground_links,
    in_range,
    infer_planes,
    limit_terminals,
    line_of_sight,
    nearest,
    plus_grid,
    plus_grid_from_elements,
)

__all__ = [
    "ContactPlan",
    "GroundLink",
    "IslConfig",
    "NetworkGraph",
    "OpticalTerminal",
    "build_graph",
    "contacts_from_steps",
    "earliest_arrival",
    "filter_edges",
    "ground_link_rate_bps",
    "ground_links",
    "in_range",
    "infer_planes",
    "latency_s",
    "limit_terminals",
    "line_of_sight",
    "max_min_fair",
    "nearest",
    "node_path",
    "optical_isl_rate_bps",
    "plus_grid",
    "plus_grid_from_elements",
    "route",
    "shortest_paths",
]
