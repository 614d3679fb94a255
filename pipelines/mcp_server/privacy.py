"""Which columns are personal data, and whether a tool call may see them.

Customers and suppliers of a Swedish company are often people (a sole trader's organisation
number *is* their personnummer), so their contact and payment details are personal data. The
server shows them only when it was started with `--allow-personal-data` *and* the call asks
(`include_personal_data=true`); otherwise they are left out of every answer, the `query` tool's
views included. The rule is by column name, so a table added later is covered too.
"""

from __future__ import annotations

import re

_PERSONAL_COLUMN = re.compile(
    r"""^(
        e_?mail.* | phone.* | fax | mobile.* | www
        | address.* | visit_address | zip_code | visit_zip_code | city | visit_city
        | organisation_number                       # a sole trader's is their personnummer
        | bg | pg | bic | iban | bank_account.* | bank | clearing.*   # payment details
        | project_leader | authorizer_name | .*_person | our_reference | your_reference
        | signature                                 # who signed a voucher in the SIE file
    )$""",
    re.VERBOSE,
)


class PersonalDataRefused(ValueError):
    """A call asked for personal data from a server that was not started to give it."""


def is_personal_column(name: str) -> bool:
    """Whether a column of the warehouse holds personal data (by its name)."""
    return bool(_PERSONAL_COLUMN.match(name.lower()))


def personal_data_granted(*, asked: bool, allowed: bool) -> bool:
    """Whether this call gets personal fields.

    Args:
        asked: The call's `include_personal_data`.
        allowed: The server's `--allow-personal-data`.

    Raises:
        PersonalDataRefused: Asked for, but the server does not allow it (an explicit refusal
            tells the agent why the fields are missing, instead of silently leaving them out).
    """
    if asked and not allowed:
        raise PersonalDataRefused(
            "personal data (e-mail, phone, address, payment details) is off on this server: "
            "it must be started with --allow-personal-data; ask again without "
            "include_personal_data"
        )
    return asked and allowed
