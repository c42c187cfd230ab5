"""The award feed: masteries and beaten games of linked members, posted once, at a constant cost.

`reader` pages the site's awards, `planner` decides what goes where, `poller` commits a poll, `delivery`
and `posting` put it in the channels, `lease` picks the one process that polls, `service` runs it all.
"""
