"""One repository per aggregate; all SQL lives here."""
