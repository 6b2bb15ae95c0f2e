"""The SimPy model of the port: ships, channel, berths, yards and disruptions.

The model knows nothing of pandas, plotting or files: it returns columns of plain
numbers (:class:`lygsim.records.Records`) that later stages turn into tables.
"""
