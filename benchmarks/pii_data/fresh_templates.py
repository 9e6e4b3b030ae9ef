"""Fresh templates: a second tuning split, written later and apart from both other template files.

Misses on it may be inspected (it is not held out); its wording shares no sentence frame with
tune_templates.py or heldout_templates.py (tests/pii/test_eval_data.py checks). It exists so the
scanner is tuned on more than one family of wording, and a fix that only fits `tune` shows.
Same placeholders as the other template files.
"""

POSITIVE = {
    "support": [
        "Chat transcript started by {NAME} at {time}; handed over to {NAME2} after ten minutes.",
        "Per {NAME2}, the refund for {NAME:first} goes out on {date}.",
        "I've attached my {HEALTHID:labelled} as requested. Cheers, {NAME:first}",
        "Can {NAME2:first} from billing ring {NAME:first} back on {PHONE}? Ta.",
        "Duplicate account merged: {EMAIL} and {EMAIL2} both belong to {NAME}.",
        "Callback booked. Name on file: {NAME:lastfirst}. Number: {PHONE}.",
        "Complaint raised by {NAME:upper} regarding {product}; owner {NAME2}.",
        "{NAME} wrote in to say the courier left the box at {STREET}.",
        "thanks {NAME2:first}!! {NAME:lower} (from the {place} store)",
        "Account holder {NAME} confirmed identity using {NATID:labelled} and postcode {POSTCODE}.",
        "Reassigned from {NAME2} to {NAME3} because {NAME2:first} is on leave.",
        "Warm regards -- {NAME2}, Support Lead",
    ],
    "hr": [
        "Reference check: {NAME2} confirmed {NAME} worked for {company} for {count} years.",
        "Promotion letter for {NAME:initial} drafted by {NAME2}.",
        "Exit interview with {NAME} conducted by {NAME2:lastfirst} on {date}.",
        "Relocation allowance for {NAME} to {CITY}; paperwork with {NAME2}.",
        "Emergency contact for {NAME:first}: {NAME2}, mobile {PHONE2}.",
        "Grievance filed by {NAME} against line manager {NAME2}.",
        "Payroll query: {NAME} says {BANKACCT:labelled} is wrong on the payslip.",
        "Offer accepted! {NAME} joins {dept} on {date}, reporting to {NAME2:first}.",
        "Cheers,\n{NAME2:first}\nPeople & Culture | {company}",
        "New starter paperwork: {NAME:upper}, {TAXID:labelled}, home address {STREET}, {CITY}.",
        "{NAME2} thanked {NAME} for covering the {place} shift.",
        "Performance review of {NAME:last} moved to {weekday}; {NAME2:last} to attend.",
    ],
    "clinical": [
        "Consultation with {NAME} ({HEALTHID}) - follow-up in {count} weeks with Dr {NAME2:last}.",
        "Triage note: {NAME:lower}, arrived by ambulance, contact daughter {NAME2} on {PHONE}.",
        "Prescription for {drug} {dose} issued to {NAME}; pharmacist {NAME2} counselled.",
        "Pathology results for {NAME:lastfirst} sent to {EMAIL}.",
        "Home visit to {STREET}, {CITY} for {NAME}; midwife {NAME2} attended.",
        "Allergy alert on the chart of {NAME:upper}: penicillin.",
        "Dr {NAME2} handed care of {NAME:first} to the night registrar, Dr {NAME3}.",
        "Ms {NAME:last} declined the flu vaccine today.",
        "Theatre list: {NAME}, {HEALTHID:labelled}, surgeon {NAME2}.",
        "With thanks,\n{NAME2}\nPractice Nurse",
        "Mental health review for {NAME}; {NATID:labelled} on the referral form.",
        "Ward round: {NAME} stable, seen with {NAME2} and {NAME3}.",
    ],
    "finance": [
        "Standing order from {NAME} to {NAME2} of {amount} monthly, {BANKACCT:labelled}.",
        "Chargeback lodged by {NAME:upper} on card ending {CARD}.",
        "KYC refresh: {NAME}, {NATID:labelled}, address {STREET}, {CITY} {POSTCODE}.",
        "Auditor {NAME2} queried the expense claim of {NAME}.",
        "Wire to {IBAN} for {NAME:lastfirst} held pending review by {NAME2}.",
        "Trader {NAME} logged in from {IP} outside hours.",
        "Statement sent to {EMAIL} for account holder {NAME}.",
        "Direct debit mandate signed by {NAME} on {date}; {TAXID:labelled} on file.",
        "Yours faithfully,\n{NAME2}\nRelationship Manager",
        "Overdraft extension approved for {NAME:first} by branch manager {NAME2}.",
        "Supplier {company} (ABN {ABN}) paid {amount}; contact {NAME}.",
        "{NAME:lower} called about a declined payment, ph {PHONE}",
    ],
    "maintenance": [
        "Boiler service at {STREET}, {CITY} completed by technician {NAME2}; occupant {NAME} present.",
        "Key handed to {NAME} for unit {count}; witnessed by {NAME2}.",
        "Work order {ticket}: leak under sink, contact {NAME:first} on {PHONE}.",
        "Site induction completed by {NAME:upper} on {date}.",
        "{NAME2} swapped the {product} and left the old one with {NAME}.",
        "Access request from {IP} by {NAME} for the {product} console.",
        "Noise complaint from {NAME} at {STREET} about the {place} works.",
        "Inspector {NAME2:last} signed the certificate for {NAME:last}.",
        "Thanks,\n{NAME2}\nFacilities Coordinator\n{EMAIL2}",
        "owner {NAME:lower} wants a quote before {weekday}",
        "Meter reading taken by {NAME2} at {STREET}, {CITY} {POSTCODE}.",
    ],
    "legal": [
        "Witness statement of {NAME}, taken by {NAME2} on {date}.",
        "Counsel for the respondent, {NAME2}, objected; {NAME} was recalled.",
        "Power of attorney granted by {NAME} to {NAME2} over {STREET}, {CITY}.",
        "Letter before action to {NAME:upper}, {STREET}, {CITY} {POSTCODE}.",
        "Settlement of {amount} payable to {NAME} via {IBAN}.",
        "The will of {NAME} names {NAME2} and {NAME3} as executors.",
        "Conveyancing file for {NAME:lastfirst}; {TAXID:labelled}.",
        "Notary {NAME2} verified {NAME}'s {NATID:labelled}.",
        "Kind regards\n{NAME2}\nSenior Associate",
        "Mediation between {NAME} and {NAME2} set for {date}.",
        "Subpoena served on {NAME} at {EMAIL} and by post.",
    ],
}

NEGATIVE = {
    "support": [
        "Average handle time rose to {count} minutes after the {product} launch.",
        "Known issue: firmware {version} drains the battery; see ticket {ticket}.",
        "Returns portal in {place} is down until {time} on {weekday}.",
    ],
    "hr": [
        "Open enrolment for benefits closes on {date}.",
        "The {dept} headcount plan adds {count} roles next quarter.",
        "Annual leave carry-over is capped at {count} days from {date}.",
    ],
    "clinical": [
        "Stock of {drug} {dose} is low; reorder {count} packs.",
        "Audit of {icd} coding found {percent} errors.",
        "The {place} clinic opens at {time} on {weekday}s.",
    ],
    "finance": [
        "FX desk closed at {time}; {count} trades booked worth {amount}.",
        "Quarterly VAT return ref {case} filed on {date}.",
        "{company} raised prices by {percent} in the {place} market.",
    ],
    "maintenance": [
        "Generator test passed; next one due {date}.",
        "Part {serial} is backordered until {weekday}.",
        "The {place} depot runs {count} vans on firmware {version}.",
    ],
    "legal": [
        "Limitation period for case {case} expires on {date}.",
        "{company} filed its annual return late, fined {amount}.",
        "Hearing listed in the {place} registry for {count} days.",
    ],
}
