"""One client run, as a cron job would do it: used by the two-processes test as a subprocess.

Waits until the wall-clock time in `START_AT` so that both processes hit the expired token
together, then makes one API call and prints the company name and its token requests.
"""

from __future__ import annotations

import os
import time

from sources.fortnox.client import client_from_config


def main() -> None:
    with client_from_config() as client:
        start_at = float(os.environ.get("START_AT", "0"))
        time.sleep(max(0.0, start_at - time.time()))
        company = client.get_json("companyinformation")["CompanyInformation"]["CompanyName"]
        print(f"company={company} token_requests={client.auth.token_requests}", flush=True)


if __name__ == "__main__":
    main()
