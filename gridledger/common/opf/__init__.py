"""ADMM optimal power flow's pure logic: the feeder, the devices, the copy layout and the aggregator step.

No solver, clock or I/O here: the aggregator chaincode (chaincode/opf), the agents and the centralised reference
(lab/opf) and `gridledger opf verify` all import these names, so the arithmetic they check is one function.
docs/opf.md maps the paper's equations to the functions.
"""

from gridledger.common.opf.aggregator import MAX_MAGNITUDE as MAX_MAGNITUDE
from gridledger.common.opf.aggregator import AdmmState as AdmmState
from gridledger.common.opf.aggregator import CopyError as CopyError
from gridledger.common.opf.aggregator import check_copy as check_copy
from gridledger.common.opf.aggregator import initial_state as initial_state
from gridledger.common.opf.aggregator import step as step
from gridledger.common.opf.config import SCALE as SCALE
from gridledger.common.opf.config import AdmmConfig as AdmmConfig
from gridledger.common.opf.config import AdmmConfigError as AdmmConfigError
from gridledger.common.opf.config import from_fixed as from_fixed
from gridledger.common.opf.config import to_fixed as to_fixed
from gridledger.common.opf.devices import PV as PV
from gridledger.common.opf.devices import Battery as Battery
from gridledger.common.opf.devices import Deferrable as Deferrable
from gridledger.common.opf.devices import DeviceError as DeviceError
from gridledger.common.opf.devices import Generator as Generator
from gridledger.common.opf.devices import Shapable as Shapable
from gridledger.common.opf.feeder import Feeder as Feeder
from gridledger.common.opf.feeder import FeederError as FeederError
from gridledger.common.opf.layout import Layout as Layout
from gridledger.common.opf.scenario import Penetration as Penetration
from gridledger.common.opf.scenario import Scenario as Scenario
from gridledger.common.opf.scenario import place_devices as place_devices
