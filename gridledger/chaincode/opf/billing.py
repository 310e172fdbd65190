"""BillingContract (the paper's contract S2): bills a converged ADMM run at its nodal prices and settles through the
token chaincode.

The prices and schedule are not submitted by anyone: `open_billing` computes them from the aggregator's converged
state on this ledger (common/opf/billing.py), so every endorser writes the same integers and anyone can recompute
them. Meters are certificates the operator registers per bus; a reading is a transaction signed by the meter's
certificate. `settle` bills every bus, penalises deviations, and moves the money with one apply_settlement call to
the token chaincode (the path the DSM contract's penalties take); after it, a reading is late and refused.
"""

from __future__ import annotations

from gridledger.chaincode import ChaincodeStub, Contract, query, transaction
from gridledger.chaincode.codec import encode_value
from gridledger.chaincode.errors import bad_request, conflict
from gridledger.common.opf import Layout
from gridledger.common.opf.billing import (
    BillingConfig,
    BillingError,
    account_of,
    bill,
    check_reading,
    price_table,
    schedule_wh,
)
from gridledger.common.opf.codec import feeder_from_json, state_from_json

from .records import bus_certificates, bus_submission, key, operator_run, stored

SETTLEMENT_SLOT = 0  # one settlement per run: the day's bill


def settlement_id(run_id: str) -> str:
    """The market id the run's settlement is recorded under in the token chaincode."""
    return f"opf.{run_id}"


class BillingContract(Contract):
    @transaction
    def open_billing(self, stub: ChaincodeStub, run_id: str, billing_json: dict, meters_json: list) -> dict:
        """The operator fixes a converged run's prices and schedule and names each bus's meter certificate:
        meters_json [{"bus": int, "fingerprint": hex}, ...]. Returns the billing record."""
        run = operator_run(stub, run_id)
        feeder = feeder_from_json(run["feeder"])
        layout = Layout.of(feeder, run["steps"])
        billing_raw, state_raw = stub.get_states([key("billing", run_id), key("state", run_id)])
        if billing_raw is not None:
            raise conflict(f"billing of run {run_id!r} is already open")
        try:
            config = BillingConfig.from_dict(billing_json)
            accounts = [account_of(run_id, bus) for bus in range(feeder.buses)]
            state = state_from_json(stored(state_raw, f"state of run {run_id!r}"))
            prices = price_table(feeder, layout, config, state)
            schedule = schedule_wh(feeder, layout, state)
        except (BillingError, TypeError) as exc:
            raise bad_request(str(exc)) from None
        meters = bus_certificates(meters_json, feeder.buses, "meter")
        record = {"config": config.to_dict(), "iteration": state.iteration, "accounts": accounts,
                  "prices": [list(row) for row in prices], "schedule": [list(row) for row in schedule],
                  "meters": sorted(meters), "settled": False}
        for bus, fingerprint in meters.items():
            stub.put_state(key("meter", run_id, bus), fingerprint.encode())
        stub.put_state(key("billing", run_id), encode_value(record))
        return record

    @transaction
    def submit_reading(self, stub: ChaincodeStub, run_id: str, bus: int, reading_json: list) -> dict:
        """A bus's meter reports the Wh the bus withdrew in each step (negative: injected). Returns its deviation
        from the schedule."""
        run, feeder, (billing_raw, earlier) = bus_submission(stub, run_id, bus, "meter", [
            key("billing", run_id), key("reading", run_id, bus)])
        record = stored(billing_raw, f"billing of run {run_id!r}")
        if record["settled"]:
            raise conflict(f"billing of run {run_id!r} is settled: bus {bus}'s reading is late")
        if earlier is not None:
            raise conflict(f"the meter of bus {bus} already reported run {run_id!r}")
        try:
            reading = check_reading(feeder, Layout.of(feeder, run["steps"]), bus, reading_json)
        except BillingError as exc:
            raise bad_request(str(exc)) from None
        deviation = sum(abs(m - e) for m, e in zip(reading, record["schedule"][bus], strict=True))
        stub.put_state(key("reading", run_id, bus), encode_value(list(reading)))
        return {"bus": bus, "deviation_wh": deviation}

    @transaction
    def settle(self, stub: ChaincodeStub, run_id: str) -> dict:
        """The operator closes billing: every bus pays its scheduled energy at its nodal price and its deviation
        penalty, the grid account receives the sum, in one apply_settlement to the token chaincode."""
        run = operator_run(stub, run_id)
        buses = len(run["feeder"]["parent"])
        billing_raw, *raws = stub.get_states([key("billing", run_id),
                                              *(key("reading", run_id, bus) for bus in range(buses))])
        record = stored(billing_raw, f"billing of run {run_id!r}")
        if record["settled"]:
            raise conflict(f"billing of run {run_id!r} is already settled")
        config = BillingConfig.from_dict(record["config"])
        readings = {bus: tuple(stored(raw, "reading")) for bus, raw in enumerate(raws) if raw is not None}
        result = bill(tuple(map(tuple, record["prices"])), tuple(map(tuple, record["schedule"])), readings,
                      config.penalty_per_mwh)
        transfers = result.transfers(run_id, config.grid_account)
        if transfers:
            response = stub.invoke_chaincode(config.token_chaincode, "apply_settlement",
                                             [settlement_id(run_id), SETTLEMENT_SLOT, transfers])
            if not response.ok:
                raise conflict(f"the token chaincode refused the settlement: {response.message}")
        settled = {**result.to_dict(), "transfers": transfers}
        stub.put_state(key("billing", run_id), encode_value({**record, "settled": True}))
        stub.put_state(key("bill", run_id), encode_value(settled))
        return settled

    @query
    def get_billing(self, stub: ChaincodeStub, run_id: str) -> dict:
        return stored(stub.get_state(key("billing", run_id)), f"billing of run {run_id!r}")

    @query
    def get_reading(self, stub: ChaincodeStub, run_id: str, bus: int) -> list:
        return stored(stub.get_state(key("reading", run_id, bus)), f"bus {bus}'s reading of run {run_id!r}")

    @query
    def get_bill(self, stub: ChaincodeStub, run_id: str) -> dict:
        return stored(stub.get_state(key("bill", run_id)), f"the bill of run {run_id!r}")
