"""Held-out templates: the split the scanner is never tuned on.

Written before any recognizer was changed for issue 13 and committed on their own, so the
history shows it. Wording, sentence frames and template families here are not used by the
tuning split (tune_templates.py). Do not tune recognizers on this split's misses; look only at
its aggregate figures.

Placeholders (filled by benchmarks/pii_generate.py):
  personal, labelled: {NAME} {NAME2} {NAME3} with :first :last :upper :lower :initial :lastfirst,
    {EMAIL} {EMAIL2} (derived from NAME / NAME2), {PHONE} {PHONE2}, {STREET} {CITY} {POSTCODE},
    {CARD} {IBAN} {IP}, the record locale's {NATID} {HEALTHID} {TAXID} {BANKACCT}
    (":labelled" adds the locale's own name for the number, unlabelled), {ABN}
  not personal, unlabelled: {product} {company} {place} {ticket} {order} {date} {time} {amount}
    {version} {serial} {case} {dose} {drug} {icd} {dept} {count} {percent} {weekday}
"""

POSITIVE = {
    "support": [
        'ticket {ticket} reopened. {NAME} writes: "still no refund for order {order}, this is the third week". Handing over to {NAME2} in billing.',
        "{NAME:lower} here again lol, my {product} won't pair. you can text me on {PHONE}",
        "Live chat transcript {date}\nVisitor: hey its {NAME:first}, the login code goes to my old email {EMAIL}\nBot: Connecting you with {NAME2:first}...",
        "Callback requested by {NAME} for {weekday} morning. Best number: {PHONE}. Prefers not to be emailed.",
        "Looping in {NAME2} from the escalations desk - {NAME} has been waiting since {date} for a replacement {product}.",
        "Hi team,\nPlease update the delivery address for account holder {NAME} to {STREET}, {CITY} {POSTCODE}.\nCheers,\n{NAME2:first}",
        "Chargeback dispute: cardholder {NAME:upper}, card {CARD}, amount {amount}. Assigned to {NAME2}.",
        "Our agent {NAME2} spoke with Mrs {NAME:last} today; she confirmed her identity with the last four of her {NATID:labelled}.",
        'Survey comment: "{NAME2:first} was brilliant, sorted it in ten minutes" - submitted by {EMAIL}',
        "Account locked after 5 failed attempts from {IP}. Owner {NAME} notified at {EMAIL}.",
        "Feedback form\nFull name: {NAME:upper}\nContact no.: {PHONE}\nComments: the {product} arrived with a cracked screen.",
        "Per {NAME2}'s note, {NAME} can be reached after 6pm on {PHONE}; do not call the landline.",
        "Identity check passed: {NAME} read out {NATID:labelled} and the postcode {POSTCODE}.",
        "Customer uploaded a photo of her {HEALTHID:labelled} card by mistake - {NAME}, {EMAIL}. Please purge the attachment.",
    ],
    "hr": [
        "Offer letter draft for {NAME}, start date {date}, reporting to Head of Operations {NAME2}.",
        "Exit interview notes: {NAME} (employee no. {serial}) cited workload. Interviewer: {NAME2:initial}.",
        "Payroll change request - employee {NAME}, new bank details {BANKACCT:labelled}, effective {date}.",
        "Reference check: we contacted {NAME2}, former line manager of {NAME}, on {PHONE2}; she rated him highly.",
        "New starter checklist\nName: {NAME:lastfirst}\nHome address: {STREET}, {CITY}, {POSTCODE}\n{NATID:labelled}\nEmergency contact: {NAME2} {PHONE}",
        "Grievance raised by {NAME} against team lead {NAME2}; investigation opened, case ref {case}.",
        "Please congratulate {NAME:first} {NAME:last} on ten years with {company}! - {NAME2:first} from People & Culture",
        "Sick leave certificate received for {NAME}; GP note dated {date}. Return to work meeting with {NAME2} booked.",
        "Relocation: {NAME} moves from the {place} office; personal email for paperwork {EMAIL}.",
        "Timesheet query - {NAME:lower} logged {count} hours on {date}; approver {NAME2:lower} rejected it.",
        "Background check consent signed by {NAME}, date of signature {date}, tax reference {TAXID}.",
        "Performance review cycle: reviewer {NAME2}, reviewee {NAME}, calibration with Director of Engineering {NAME3}.",
        "Onboarding form returned by {NAME}: {TAXID:labelled}, {BANKACCT:labelled}.",
        "Payroll reconciliation: {NATID} belongs to {NAME:upper}, not to {NAME2:upper}.",
    ],
    "clinical": [
        "Triage note {time}: {NAME}, presenting with chest tightness, {HEALTHID:labelled}. Seen by Nurse Practitioner {NAME2}.",
        "Referral letter\nDear Dr {NAME2:last},\nI would be grateful if you could review {NAME}, who lives at {STREET}, {CITY}.\nYours sincerely,\nDr {NAME3}",
        "Pharmacy: repeat script for {NAME} - {drug} {dose}. Collect from counter; patient phone {PHONE}.",
        "Telehealth consult with {NAME:first} (mother {NAME2} present). Follow-up booked for {date}.",
        "Pt {NAME:upper} DOB {date} attended ED; discharged to GP care. NOK: {NAME2}, {PHONE}.",
        "Lab result for {NAME}: HbA1c {percent}. Results emailed to {EMAIL} at patient request.",
        "Physiotherapy plan agreed with {NAME}. Physio {NAME2} to review in two weeks. Diagnosis code {icd}.",
        "Consent obtained from {NAME} for {drug} trial; witnessed by ward clerk {NAME2}.",
        "Incoming call from {PHONE}: caller identified herself as {NAME}, daughter of the patient in bed {count}.",
        "Health record update - {NAME}, new address {STREET}, {CITY} {POSTCODE}, identifier {HEALTHID}.",
        "Dr. {NAME2} discussed the MRI with {NAME} and partner; patient wishes to proceed.",
        "ambulance handover: pt {NAME:lower}, approx 70, fall at home ({STREET}), GCS 15",
        "{NAME:lastfirst} | {HEALTHID} | ward {count} | consultant {NAME2}",
        "Immunisation record: {NAME}, {HEALTHID:labelled}, vaccine given {date}.",
        "Claim lodged for {NAME} with {HEALTHID:labelled}; secondary identifier {NATID}.",
    ],
    "finance": [
        "Wire instruction received from {NAME}: beneficiary account {IBAN}, amount {amount}, reference {order}.",
        "KYC file for {NAME} incomplete - missing proof of address ({STREET}, {CITY}) and {TAXID:labelled}.",
        "Our relationship manager {NAME2} met client {NAME} on {date} to discuss the offset account.",
        "Fraud alert: card {CARD} used at {company} in {place}; cardholder {NAME} confirmed it was not her.",
        "Direct debit set up for {NAME}, {BANKACCT:labelled}, first collection {date}.",
        "Sole trader invoice from {NAME}, ABN {ABN}, for {amount}; remit to {BANKACCT}.",
        "Loan application {case}: applicant {NAME}, co-applicant {NAME2}, combined income {amount}.",
        "Approved by Financial Controller {NAME2} on {date}; payee {NAME:upper}, amount {amount}.",
        "Statement dispute raised by {EMAIL} - {NAME} says the {amount} charge on {date} is a duplicate.",
        "Tax residency self-certification: {NAME}, {NATID:labelled}, residential address {STREET}, {CITY}.",
        "Collections call log {time}: spoke to {NAME:first} on {PHONE}, promise to pay {amount} by {weekday}.",
        "Audit sample {count}: expense claim by {NAME} countersigned by {NAME2}, card ending in {serial}.",
        "Withholding tax: no {TAXID:labelled} on file for {NAME}; quoted {NATID} instead.",
        "Super fund rollover for {NAME}, {TAXID:labelled}, member since {date}.",
    ],
    "maintenance": [
        "Work order {ticket}: boiler fault at {STREET}, {CITY}. Tenant {NAME} home after 3pm, phone {PHONE}.",
        "Technician {NAME2} replaced the {product} controller; signed off by site contact {NAME}.",
        "Access request: contractor {NAME} needs badge access on {date}, sponsored by facilities lead {NAME2}.",
        "Leak reported by resident {NAME:lower} in flat {count}, {STREET}. callback {PHONE}",
        "Site visit scheduled {weekday}. Please ask for {NAME} at reception; escalation contact {NAME2} ({EMAIL2}).",
        "Asset {serial} handed to {NAME} for repair; returned by {NAME2} on {date} with firmware {version}.",
        "Gas safety certificate issued to landlord {NAME}, property {STREET}, {CITY} {POSTCODE}.",
        "Remote session from {IP} opened by engineer {NAME2} to patch the {product}; customer {NAME} approved.",
        "Keys collected by {NAME:upper} (driver's licence sighted). Fleet supervisor {NAME2} notified.",
        "Snagging list walked with homeowner {NAME} and builder {NAME2}; {count} items outstanding.",
        "Tenancy file: {NAME}, {NATID:labelled}, bond lodged {amount}.",
    ],
    "legal": [
        "Witness statement of {NAME}, of {STREET}, {CITY}, made on {date}.",
        "Counsel for the respondent, {NAME2}, sought an adjournment; the claimant {NAME} opposed it.",
        "Power of attorney granted by {NAME} in favour of {NAME2}, both of {CITY}.",
        "File note: call with opposing solicitor {NAME2} re {case}; our client {NAME} not to be contacted directly.",
        "The deceased, {NAME}, left the residue of the estate to {NAME2} and {NAME3} in equal shares.",
        "Subpoena served on {NAME} at {STREET} by process server {NAME2} on {date}.",
        "Settlement funds of {amount} to be paid to {NAME} into {IBAN} within 14 days.",
        "Executed as a deed by {NAME:upper} in the presence of witness {NAME2:upper}, occupation paralegal.",
        "Client intake: {NAME}, phone {PHONE}, email {EMAIL}, {NATID:labelled}, referred by {company}.",
        "Affidavit sworn by {NAME} before Justice of the Peace {NAME2} at {place}.",
        "Statutory declaration of {NAME}, {NATID:labelled}, of {STREET}, {CITY}.",
        "Estate account of the late {NAME}: {TAXID:labelled}, {BANKACCT:labelled}.",
    ],
}

NEGATIVE = {
    "support": [
        "Known issue {ticket}: the {product} app crashes on launch after update {version}. Fix ships {weekday}.",
        "Shipping from our {place} warehouse is delayed by {count} days; orders placed before {date} are unaffected.",
        "Refund policy: returns of the {product} within 30 days get {amount} back, minus a {percent} restocking fee.",
    ],
    "hr": [
        "Reminder: open enrolment closes {date}. The {dept} team hosts a Q&A at {time} in the {place} office.",
        "Headcount for {dept} stays at {count}; the budget of {amount} covers two contractor roles.",
        "Policy update {version}: remote work is capped at three days a week from {date}.",
    ],
    "clinical": [
        "Formulary note: {drug} {dose} replaces the previous brand from {date}; code {icd} unchanged.",
        "Clinic at the {place} site closes at {time} on {weekday} for staff training.",
        "Audit: {percent} of discharge summaries were completed within 24 hours this quarter ({count} of 400).",
    ],
    "finance": [
        "Quarter close: revenue {amount}, up {percent}; the {place} branch led growth. Report ref {case}.",
        "FX desk: settlement of {amount} with {company} moved to {date} because of the bank holiday.",
        "Reconciliation batch {order} matched {count} items; {serial} flagged for manual review.",
    ],
    "maintenance": [
        "Preventive maintenance on the {product} fleet starts {date}; firmware {version} required, part {serial}.",
        "Generator test at the {place} depot on {weekday} at {time}; expect a {count} minute outage.",
        "Incident {ticket} closed: root cause was a failed pump seal, replaced under warranty ({amount}).",
    ],
    "legal": [
        "Under clause {count}.2 the licence terminates if fees of {amount} remain unpaid 30 days after {date}.",
        "Matter {case} listed for mention in the {place} registry on {date} at {time}.",
        "{company} and its affiliates agree to keep the terms of this agreement confidential.",
    ],
}
