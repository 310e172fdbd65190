"""Self-contained interactive HTML reports, shared by `gridledger bench`, `gridledger experiment` and the DSM runs:
plotly charts (charts.py) in one page that inlines plotly.js (html.py), so a report opens offline from one file.
"""

from gridledger.lab.report.charts import bar_chart, cdf_chart, line_chart
from gridledger.lab.report.html import HtmlReport

__all__ = ["HtmlReport", "bar_chart", "cdf_chart", "line_chart"]
