"""Self-contained HTML reports with hand-written SVG charts, shared by `gridledger bench` and `gridledger experiment`.

No plotting dependency: the charts are small, static and must open in any browser from a single file.
"""

from gridledger.lab.report.html import HtmlReport
from gridledger.lab.report.svg import bar_chart, cdf_chart, line_chart

__all__ = ["HtmlReport", "bar_chart", "cdf_chart", "line_chart"]
