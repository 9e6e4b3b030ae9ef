"""Fresh2 templates: a third tuning split, written for issue 13 before any of its misses were seen.

It checks that a fix made while looking at `tune` and `fresh` generalises to wording the fix was
not made on: its sentence frames are shared with no other template file
(tests/pii/test_eval_data.py checks). Misses on it may be inspected once a change has been
measured on it. Same placeholders as the other template files.
"""

POSITIVE = {
    "support": [
        "Ticket reopened by {NAME}: the {product} still will not pair. Agent on shift: {NAME2:first}.",
        "Spoke to Smt. {NAME} today about the late delivery to {STREET}, {CITY} {POSTCODE}.",
        "Caller identified as {NAME:upper}; verified with {NATID:labelled}.",
        "Refund approved. {NAME2} (team lead) signed it off for {NAME:first}.",
        "Hello team, {NAME:lower} here again, my order still has not arrived",
        "Please update the contact e-mail for {NAME} to {EMAIL}.",
        "Shri {NAME} requested a callback on {PHONE} after {time}.",
        "Survey comment from {NAME:lastfirst}: the agent was very helpful.",
        "Account locked after three attempts; {NAME} rang from {PHONE} to unlock it.",
        "Regards,\n{NAME2}\nCustomer Care Executive",
        "Case merged into {ticket}; both raised by {NAME:initial}.",
        "Voucher sent to {NAME:first} at {EMAIL}. Supervisor {NAME2:last} approved.",
    ],
    "hr": [
        "Appointment letter issued to {NAME}, S/o {NAME2}, resident of {STREET}, {CITY}.",
        "Leave application of {NAME:upper} forwarded to {NAME2} for approval.",
        "Probation of {NAME} extended by {count} months on the advice of {NAME2:first}.",
        "Background verification for {NAME:lastfirst} is pending; {TAXID:labelled} received.",
        "Salary for {NAME} credited to {BANKACCT:labelled}.",
        "The panel of {NAME2} and {NAME3} interviewed {NAME} for the {dept} role.",
        "Kumari {NAME} joined the {dept} team as an intern on {date}.",
        "Best wishes,\n{NAME2:first}\nTalent Acquisition",
        "Transfer order: {NAME} moves from {place} to {CITY} with effect from {date}.",
        "Disciplinary hearing for {NAME:last} adjourned; {NAME2:last} to chair.",
        "Nominee for the gratuity of {NAME}: {NAME2}, phone {PHONE2}.",
        "Correspondence address of {NAME:first}: {STREET}, {CITY} - {POSTCODE}.",
    ],
    "clinical": [
        "Patient {NAME}, W/o {NAME2}, admitted with fever; {HEALTHID:labelled}.",
        "OPD card for {NAME:upper}, referred by Dr. {NAME2}.",
        "Discharge advice explained to {NAME:first} and her husband {NAME2:first}.",
        "Lab report of {NAME} e-mailed to {EMAIL} on {date}.",
        "Ambulance dispatched to {STREET}, {CITY} for {NAME}; caller {NAME2} on {PHONE}.",
        "Physio session for {NAME:lastfirst} rescheduled to {weekday}.",
        "Consent form signed by {NAME} in the presence of nurse {NAME2}.",
        "Dr {NAME2:last} reviewed the scan of {NAME:initial} and advised rest.",
        "Next of kin for {NAME}: {NAME2} ({PHONE2}).",
        "Thanks and regards,\n{NAME2}\nStaff Nurse, Ward {count}",
        "Vaccination record of baby {NAME:first}, D/o {NAME2}, updated.",
        "{NAME:lower}, {count} yrs, c/o chest pain since morning",
    ],
    "finance": [
        "Loan sanctioned to {NAME} against property at {STREET}, {CITY} {POSTCODE}.",
        "NEFT from {NAME:upper} to {BANKACCT:labelled} failed on {date}.",
        "Cheque deposited by {NAME} was returned unpaid; branch officer {NAME2}.",
        "KYC documents of {NAME:lastfirst}: {TAXID:labelled}, {NATID:labelled}.",
        "Card {CARD} blocked at the request of {NAME}.",
        "Co-applicant {NAME2} added to the home loan of {NAME}.",
        "Payment reminder sent to {EMAIL} for {NAME:first}.",
        "Login to net banking by {NAME} from {IP} flagged as unusual.",
        "Insurance claim of {NAME} settled for {amount}; surveyor {NAME2:last}.",
        "Warm regards,\n{NAME2}\nBranch Manager",
        "Funds of {amount} transferred to {IBAN} on behalf of {NAME}.",
        "Guarantor {NAME2:upper} confirmed by phone {PHONE2}.",
    ],
    "maintenance": [
        "Plumber {NAME2} fixed the tap at {STREET}, {CITY}; resident {NAME} signed.",
        "Lift breakdown reported by {NAME:upper} of flat {count}.",
        "Electrician visit booked for {NAME} on {date}, contact {PHONE}.",
        "Pest control at {STREET} done; society secretary {NAME2} informed.",
        "Job card {ticket} closed by {NAME2:first}; customer {NAME:lastfirst}.",
        "{NAME} complained that the {product} installed by {NAME2} is noisy.",
        "VPN access from {IP} granted to {NAME:first} for the {product} panel.",
        "Gas leak check requested by {NAME:lower} at {STREET}",
        "Thanks,\n{NAME2:first}\nEstate Office",
        "Water meter at {STREET}, {CITY} {POSTCODE} read by {NAME2}.",
        "Keys returned by tenant {NAME} to caretaker {NAME2:last}.",
        "Quote e-mailed to {EMAIL} as asked by {NAME}.",
    ],
    "legal": [
        "Affidavit sworn by {NAME}, S/o {NAME2}, aged {count}, resident of {CITY}.",
        "Vakalatnama filed on behalf of {NAME:upper} by advocate {NAME2}.",
        "Notice served on {NAME:lastfirst} at {STREET}, {CITY} {POSTCODE}.",
        "Sale deed between {NAME} and {NAME2} registered on {date}.",
        "Compensation of {amount} to be paid to {NAME} into {BANKACCT:labelled}.",
        "Statement of {NAME:first} recorded before the magistrate; {NATID:labelled} seen.",
        "The petitioner, {NAME}, is represented by {NAME2} and {NAME3}.",
        "Yours truly,\n{NAME2}\nAdvocate",
        "Bail bond furnished by {NAME2:upper} for {NAME}.",
        "Summons e-mailed to {EMAIL}; {NAME} to appear on {date}.",
        "Legal heir certificate names {NAME2} and {NAME3} as heirs of {NAME}.",
        "Objection raised by {NAME:initial} over the boundary wall at {STREET}.",
    ],
}

NEGATIVE = {
    "support": [
        "Server maintenance on {weekday} from {time}; expect slow replies.",
        "The {product} helpline now closes at {time}.",
        "Backlog down to {count} tickets after the {place} outage.",
    ],
    "hr": [
        "Diwali holiday falls on {date} this year.",
        "Training budget for {dept} raised by {percent}.",
        "Attendance portal moves to version {version} on {weekday}.",
    ],
    "clinical": [
        "Blood bank has {count} units of {drug}-free plasma.",
        "Dengue cases in {place} rose by {percent} this month.",
        "Pharmacy order {order} for {drug} {dose} dispatched.",
    ],
    "finance": [
        "Repo rate unchanged; branch targets revised by {percent}.",
        "Quarterly GST filing {case} submitted on {date}.",
        "{company} shares closed {percent} higher in {place}.",
    ],
    "maintenance": [
        "Water supply off in {place} from {time} for repairs.",
        "Spare part {serial} arrives on {weekday}.",
        "Firmware {version} pushed to {count} {product} units.",
    ],
    "legal": [
        "Court vacation from {date}; urgent matters only.",
        "Case {case} listed for arguments on {weekday}.",
        "{company} fined {amount} by the regulator in {place}.",
    ],
}
