"""Files' content: what a file is, its images made safe to show, and where bytes are stored.

Libraries below the models: nothing here reads or writes the database.
"""
