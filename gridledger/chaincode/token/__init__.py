"""The token chaincode: integer micro-cent balances, owner transfers and market settlements."""

from .contract import TokenContract

CONTRACT = TokenContract
