"""How plans are found: one solver interface, a registry by name, CP-SAT first, baselines."""
