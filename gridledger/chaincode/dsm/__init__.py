"""The DSM chaincode: Profile Steering coordinated on the ledger (docs/dsm.md)."""

from .contract import DsmContract

CONTRACT = DsmContract
