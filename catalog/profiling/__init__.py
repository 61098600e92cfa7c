"""Profiling of dataset versions: streaming statistics, the ydata-profiling report, personal-data
detection, quality expectations and drift between versions (issue 6).

The computation lives in the modules of this package and knows nothing of the database;
``catalog.profiling.services`` runs it on versions and stores the results.
"""
