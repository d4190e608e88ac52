"""The researcher's workspace: accounts and visibility, annotations, lists, entity judgments.

Local use has one user, `Viewer.local()`, and no login; `chancery serve --auth` turns on accounts.
Every workspace operation names the `Viewer` it acts for, so judgments and notes record who made
them and private material is filtered in one place.
"""
