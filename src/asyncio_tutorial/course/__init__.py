"""The course's own tools, which no lesson imports.

* :mod:`.cli`: ``python -m asyncio_tutorial COMMAND`` (``asyncio-tutorial``), the command
  line of all of them;
* :mod:`.recording` (``make record``), :mod:`.workbooks` (``make exercises``),
  :mod:`.published` (what ``make test`` validates), :mod:`.update` (``make update``);
* :mod:`.progress` (``make progress``, ``check``), :mod:`.submissions` (what they run of a
  workbook handed in, and how tampering is caught) and :mod:`.grade` (a whole class);
* :mod:`.kernels`, :mod:`.lab` and :mod:`.quick_nbformat`: how the course starts kernels
  and JupyterLab, quickly.
"""
