"""The OPF chaincode: the ADMM aggregator (the paper's contract S1: registered bus agents submit their local copies,
each close runs the pure aggregator step of common/opf) and billing (contract S2: the converged run's nodal prices,
meter readings and one settlement through the token chaincode). One chaincode, so billing reads the aggregator's
converged state directly from its own namespace."""

from .billing import BillingContract
from .contract import AggregatorContract


class OpfContract(AggregatorContract, BillingContract):
    """The aggregator's and billing's functions in one contract."""


CONTRACT = OpfContract
