"""Network layer: link models, ISL topologies, routing and contact plans (pure numeric core).

The modules: links (link budgets and the scenario's `isl:`/ground link schemas), isl (ISL
layouts), topology, graph, astar, routing, and above the pipeline stage, routes and fibre.
The package itself imports none of them, so that the scenario reads its link schemas
(network.links) without loading the routing stack (scipy, numba): import from the modules.
"""
