"""The OPF experiments' heavy side: feeders read through pandapower, the CVXPY models of a bus, the centralised
reference and the agents' local solvers. cvxpy and pandapower come from the optional extra `opf` and are imported
on use (solvers.require), so importing this package costs nothing without them."""
