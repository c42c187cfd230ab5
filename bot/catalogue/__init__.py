"""The local game catalogue: every RetroAchievements game with published achievements, kept in storage.

`model` is the plain data (shared by the RetroAchievements parsers and storage), `service` the in-memory
view commands read, `refresh` what keeps it filled, `lease` who refreshes when several processes run.
Nothing is imported here, so that the data types can be used without pulling in the rest.
"""
