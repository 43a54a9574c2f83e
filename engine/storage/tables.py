"""The schema. tenant_id leads every primary key and index (ready for sharding by tenant).

Money rows (journal entries and lines, applications, returns) are append-only, enforced by
triggers (migration 0003, engine/storage/append_only.py) and by the app role's grants. The open
amount of an invoice and the unapplied amount of a payment are balances cached next to the
resource so they can be guarded with `UPDATE ... WHERE open_minor >= x`; invariant 4 proves they
equal a replay of the journal. Timestamps are integer microseconds since the epoch, dates ISO
strings: both compare and sort the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

ID = 128  # longest client-chosen id, in characters
LINK = 256  # longest bank reference / end-to-end id / batch id a bank file may carry

customers = Table(
    "customers",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("customer_id", String(ID), primary_key=True),
    Column("display_name", String(512), nullable=False),
    Column("name_aliases", Text, nullable=False),  # JSON list
    Column("net_days", Integer, nullable=False),
    Column("discount_days", Integer, nullable=False),
    Column("discount_basis_points", Integer, nullable=False),
    Column("tolerance_minor", BigInteger, nullable=True),  # write-off tolerance override
    Column("create_us", BigInteger, nullable=False),
    Column("update_us", BigInteger, nullable=False),
    Column("matching_tolerance_minor", BigInteger, nullable=True),
    # Bumped (row-locked) before any change that marks the customer's payments: AutoApply
    # compares it with the plan's snapshot, because a payment the plan identified by name is not
    # yet stored as the customer's and so cannot be reached by marking.
    Column("input_version", BigInteger, nullable=False),
)

# A token replaced (a fresh random value) by every write of a tenant's customers: the payer-name
# indexes AutoApply keeps between rounds are kept by it (engine/matching/name_cache.py), one
# primary-key read instead of an aggregate over every customer per round. Random rather than a
# counter, so a database recreated or restored at the same address never repeats a token a
# running server kept. Absent row: the tenant has no customers (migration 0013 wrote a row for
# each tenant that had).
customer_name_stamps = Table(
    "customer_name_stamps",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("stamp", String(32), nullable=False),
)

# A tenant's defaults (absent row: every default is 0).
tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("write_off_tolerance_minor", BigInteger, nullable=False),
    Column("matching_tolerance_minor", BigInteger, nullable=False),
    Column("update_us", BigInteger, nullable=False),
)

payer_accounts = Table(
    "payer_accounts",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("account_key", String(64), primary_key=True),  # normalized IBAN / account number
    Column("customer_id", String(ID), nullable=False),
    Column("account_display", String(64), nullable=False),
    Index("ix_payer_accounts_customer", "tenant_id", "customer_id"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("invoice_id", String(ID), primary_key=True),
    # The invoice number normalized for reference matching (case, separators, OCR look-alikes).
    Column("invoice_key", String(ID), nullable=False),
    Column("customer_id", String(ID), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("open_minor", BigInteger, nullable=False),
    Column("issue_date", String(10), nullable=False),
    Column("due_date", String(10), nullable=False),
    Column("net_days", Integer, nullable=False),
    Column("discount_days", Integer, nullable=False),
    Column("discount_basis_points", Integer, nullable=False),
    Column("voided", Boolean, nullable=False),
    Column("create_us", BigInteger, nullable=False),
    Index("ix_invoices_customer_open", "tenant_id", "customer_id", "currency", "open_minor"),
    Index("ix_invoices_due", "tenant_id", "due_date"),
    Index("ix_invoices_key", "tenant_id", "invoice_key"),
)

payments = Table(
    "payments",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("payment_id", String(ID), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("unapplied_minor", BigInteger, nullable=False),
    Column("returned_minor", BigInteger, nullable=False),
    Column("value_date", String(10), nullable=False),
    Column("customer_id", String(ID), nullable=True),
    Column("payer_account", String(64), nullable=False),
    Column("payer_name", String(512), nullable=False),
    Column("remittance_info", Text, nullable=False),
    Column("references", Text, nullable=False),  # JSON list
    Column("on_account", Boolean, nullable=False),
    Column("create_us", BigInteger, nullable=False),
    # The customer_id the client sent (customer_id above is that or the identified one).
    Column("given_customer_id", String(ID), nullable=True),
    # payer_account normalized like payer_accounts.account_key ("" when absent or malformed).
    Column("payer_account_key", String(64), nullable=False),
    # Structured remittance from a bank file (JSON list of engine.model.RemittanceLine) and what
    # links a remittance advice or a return arriving apart to the payment (migration 0007).
    Column("remittance_lines", Text, nullable=False, server_default="[]"),
    Column("bank_reference", String(LINK), nullable=False, server_default=""),
    Column("end_to_end_id", String(LINK), nullable=False, server_default=""),
    Index("ix_payments_customer", "tenant_id", "customer_id"),
    Index("ix_payments_bank_reference", "tenant_id", "bank_reference"),
    Index("ix_payments_end_to_end", "tenant_id", "end_to_end_id"),
    Index("ix_payments_unapplied", "tenant_id", "unapplied_minor"),
    Index("ix_payments_account_key", "tenant_id", "payer_account_key"),
)

# "Decide once per change", one row per payment: every change of a payment's inputs bumps
# input_version and sets needs_decision; AutoApply clears the flag only where input_version still
# equals the value it planned with, so a change racing the plan is never lost. A table of its own
# so that marking a customer's other payments never waits on (or deadlocks with) the payment row
# locks that applying money takes.
decision_marks = Table(
    "decision_marks",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("payment_id", String(ID), primary_key=True),
    Column("value_date", String(10), nullable=False),  # the payment's, for the selection order
    Column("input_version", BigInteger, nullable=False),
    Column("needs_decision", Boolean, nullable=False),
    Index("ix_decision_marks_needed", "tenant_id", "needs_decision", "value_date", "payment_id"),
)

# Which AutoApply call holds which owner's waiting payments (a customer, or one payment nobody is
# identified for): replicas on one database divide a backlog by claiming owners with a lease, so
# no payment is decided by two calls at once and no coordinator is needed. A claim is released
# when its call commits; one a crashed replica left behind lapses at expires_us.
decision_claims = Table(
    "decision_claims",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("owner", String(ID + 8), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Index("ix_decision_claims_holder", "tenant_id", "holder"),
)

# Signs of fraud and billing inconsistencies (engine/alerts), one row per finding: a finding made
# again (a payment re-decided) is the same row. Acknowledged by a person, never deleted.
alerts = Table(
    "alerts",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("alert_id", String(32), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("subject_type", String(16), nullable=False),
    Column("subject_id", String(ID + 32), nullable=False),
    Column("customer_id", String(ID), nullable=True),
    Column("summary", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON object
    Column("create_us", BigInteger, nullable=False),
    Column("acknowledged_us", BigInteger, nullable=True),
    Column("acknowledged_by", String(128), nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_alerts_open", "tenant_id", "acknowledged_us", "create_us"),
)

# The normalized reference keys in each payment's remittance, so a new invoice finds the
# payments that name it with one indexed lookup.
payment_reference_keys = Table(
    "payment_reference_keys",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("key", String(ID), primary_key=True),
    Column("payment_id", String(ID), primary_key=True),
)

applications = Table(
    "applications",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("application_id", String(64), primary_key=True),
    Column("payment_id", String(ID), nullable=False),
    Column("invoice_id", String(ID), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    Column("write_off_minor", BigInteger, nullable=False),
    Column("deduction_minor", BigInteger, nullable=False),
    Column("source", String(32), nullable=False),
    # A reversal row repeats the amounts of the row it reverses. The unique index makes "an
    # application is reversed at most once" a database fact, whatever retries or replicas do.
    Column("reverses_application_id", String(64), nullable=True),
    Column("entry_id", String(64), nullable=False),
    Column("create_us", BigInteger, nullable=False),
    # Who made it (engine/actor.py): the calling token; NULL with auth off, or for rows made
    # before 0010.
    Column("actor", String(300), nullable=True),
    Index("ix_applications_payment", "tenant_id", "payment_id"),
    Index("ix_applications_invoice", "tenant_id", "invoice_id"),
    Index("ux_applications_reverses", "tenant_id", "reverses_application_id", unique=True),
)

returns = Table(
    "returns",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("return_id", String(ID), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("reason_code", String(64), nullable=False),
    Column("invoice_id", String(ID), nullable=True),
    Column("payment_id", String(ID), nullable=True),
    Column("credited_minor", BigInteger, nullable=False),
    Column("on_account_minor", BigInteger, nullable=False),
    Column("reopened_invoice_ids", Text, nullable=False),  # JSON list
    Column("create_us", BigInteger, nullable=False),
    Column("actor", String(300), nullable=True),  # who recorded it, as on applications
    # A payment is returned at most once.
    Index("ux_returns_payment", "tenant_id", "payment_id", unique=True),
)

decisions = Table(
    "decisions",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("decision_id", String(64), primary_key=True),
    Column("payment_id", String(ID), nullable=False),
    Column("customer_id", String(ID), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("explanation", Text, nullable=False),  # JSON
    Column("create_us", BigInteger, nullable=False),
    Column("actor", String(300), nullable=True),  # whose call recorded it, as on applications
    Column("trace_id", String(32), nullable=True),  # the OpenTelemetry trace that decided it
    # ListDecisions pages newest first, overall and per payment; the per-payment index also
    # answers every other look-up by payment (migration 0014 dropped its shorter twin).
    Index("ix_decisions_newest", "tenant_id", "create_us", "decision_id"),
    Index("ix_decisions_payment_newest", "tenant_id", "payment_id", "create_us", "decision_id"),
)

ASSIGNEE_MAX = 300  # as long as an actor (engine/actor.py): a clerk's token description and id

match_exceptions = Table(
    "match_exceptions",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("exception_id", String(64), primary_key=True),
    Column("payment_id", String(ID), nullable=False),
    Column("customer_id", String(ID), nullable=True),
    Column("state", String(16), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("suggestions", Text, nullable=False),  # JSON
    Column("decision_id", String(64), nullable=False),
    Column("create_us", BigInteger, nullable=False),
    Column("resolve_us", BigInteger, nullable=False),
    # The clerk working on it (AssignException); NULL while nobody is.
    Column("assignee", String(ASSIGNEE_MAX), nullable=True),
    Index("ix_exceptions_state", "tenant_id", "state"),
    Index("ix_exceptions_payment", "tenant_id", "payment_id"),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("entry_id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("reverses_entry_id", String(64), nullable=True),
    Column("memo", String(512), nullable=False),
    Column("create_us", BigInteger, nullable=False),
    # The tenant's hash chain (engine.journal_chain): a gapless 1-based sequence number, the
    # previous entry's hash and this entry's (sha256 hex over its content, its lines and prev_hash).
    Column("seq", BigInteger, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Index("ux_journal_entries_seq", "tenant_id", "seq", unique=True),
)

# The last link of each tenant's chain. Writers lock this row (FOR UPDATE) to append, so two
# writers of one tenant never fork the chain; it only ever moves forward (a trigger refuses
# anything else), and a chain that ends before it has lost entries.
journal_heads = Table(
    "journal_heads",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

journal_lines = Table(
    "journal_lines",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("entry_id", String(64), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("account", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),  # debit positive, credit negative
    Column("customer_id", String(ID), nullable=True),
    Column("invoice_id", String(ID), nullable=True),
    Column("payment_id", String(ID), nullable=True),
    Index("ix_journal_lines_account", "tenant_id", "account", "currency"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("request_id", String(128), primary_key=True),
    Column("method", String(128), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("response", LargeBinary, nullable=False),
    Column("create_us", BigInteger, nullable=False),
)

# API tokens (`cashapp tokens create|list|revoke`). Only the SHA-256 of a token is stored (tokens
# are 256 random bits, so a plain hash cannot be inverted by guessing) with a short prefix shown
# to operators. A token names its tenant, so it is looked up by hash before any tenant is known:
# the one table not led by tenant_id (on a distributed PostgreSQL, a small reference table).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("token_sha256", String(64), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("description", String(256), nullable=False),
    Column("create_us", BigInteger, nullable=False),
    Column("revoke_us", BigInteger, nullable=True),
    Index("ux_api_tokens_sha256", "token_sha256", unique=True),
    Index("ix_api_tokens_tenant", "tenant_id", "create_us"),
)

# One row per imported bank file (engine.ingest.importer), keyed by the SHA-256 of its bytes: the
# same file sent again is answered from `summary` (the JSON of the first import's summary) and
# changes nothing. A concurrent second import of one file fails its insert on this key and is
# re-run by Database.transact, which then finds the row.
statement_files = Table(
    "statement_files",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("format", String(16), nullable=False),
    Column("file_name", String(512), nullable=False),
    Column("byte_count", BigInteger, nullable=False),
    Column("entry_count", Integer, nullable=False),
    Column("created_count", Integer, nullable=False),
    Column("summary", Text, nullable=False),
    Column("create_us", BigInteger, nullable=False),
    Index("ix_statement_files_created", "tenant_id", "create_us"),
)

# Remittance advice without money (EDI 820, a camt.054 itemizing a batch), one row per advice
# entry by its identity: LINKED to the payment it named, or HELD until a payment with one of its
# link keys is imported. The identity makes the same advice in a second file a no-op.
remittance_advice = Table(
    "remittance_advice",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("advice_id", String(ID), primary_key=True),
    Column("state", String(16), nullable=False),  # HELD | LINKED
    Column("payment_id", String(ID), nullable=True),  # set when LINKED
    Column("bank_reference", String(LINK), nullable=False),
    Column("end_to_end_id", String(LINK), nullable=False),
    Column("batch_id", String(LINK), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("value_date", String(10), nullable=False),
    Column("remittance_lines", Text, nullable=False),  # JSON, like payments.remittance_lines
    Column("remittance_text", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("location", String(512), nullable=False),
    Column("create_us", BigInteger, nullable=False),
    Column("link_us", BigInteger, nullable=True),
    Index("ix_remittance_advice_bank_reference", "tenant_id", "state", "bank_reference"),
    Index("ix_remittance_advice_end_to_end", "tenant_id", "state", "end_to_end_id"),
    Index("ix_remittance_advice_batch", "tenant_id", "state", "batch_id"),
)

# A RETURN entry of a bank file whose original payment was not found (or could not be returned):
# money that left the account, kept and reported, never dropped. Keyed by the entry's identity.
unmatched_returns = Table(
    "unmatched_returns",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("return_id", String(ID), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("value_date", String(10), nullable=False),
    Column("original_reference", String(LINK), nullable=False),
    Column("return_reason", String(64), nullable=False),
    Column("reason", String(512), nullable=False),  # why it is unmatched
    Column("file_sha256", String(64), nullable=False),
    Column("location", String(512), nullable=False),
    Column("create_us", BigInteger, nullable=False),
)

# Deductions and disputes (engine/cases). The amounts are balances cached on the case and guarded
# by its row lock; invariant DEDUCTIONS_EQUAL_OPEN_CASES proves the open deduction amounts equal
# the DEDUCTIONS account. A deduction case's id is "D-" + the application that opened it.
cases = Table(
    "cases",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("case_id", String(ID), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("state", String(24), nullable=False),
    Column("category", String(24), nullable=False),
    Column("reason_code", String(64), nullable=False),
    Column("customer_id", String(ID), nullable=False),
    Column("invoice_id", String(ID), nullable=False),
    Column("payment_id", String(ID), nullable=True),
    Column("application_id", String(64), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("original_minor", BigInteger, nullable=False),
    Column("open_minor", BigInteger, nullable=False),
    Column("credited_minor", BigInteger, nullable=False),
    Column("written_off_minor", BigInteger, nullable=False),
    Column("rebilled_minor", BigInteger, nullable=False),
    Column("collected_minor", BigInteger, nullable=False),
    Column("cancelled_minor", BigInteger, nullable=False),
    # A resolution above the requester's limit waiting for an approver (all null when none).
    Column("pending_resolution", String(16), nullable=True),
    Column("pending_amount_minor", BigInteger, nullable=True),
    Column("pending_rebill_invoice_id", String(ID), nullable=True),
    Column("pending_requested_by", String(128), nullable=True),
    Column("pending_note", Text, nullable=True),
    Column("create_us", BigInteger, nullable=False),
    Column("update_us", BigInteger, nullable=False),
    Index("ix_cases_state", "tenant_id", "state", "case_id"),
    Index("ix_cases_invoice", "tenant_id", "invoice_id", "state"),
    Index("ix_cases_customer", "tenant_id", "customer_id", "case_id"),
    Index("ux_cases_application", "tenant_id", "application_id", unique=True),
)

# Each case's history, append-only (triggers, migration 0007): who, what, why, and the entry.
case_events = Table(
    "case_events",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("case_id", String(ID), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("action", String(32), nullable=False),
    Column("from_state", String(24), nullable=False),
    Column("to_state", String(24), nullable=False),
    Column("resolution", String(16), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("note", Text, nullable=False),
    Column("entry_id", String(64), nullable=False),
    Column("create_us", BigInteger, nullable=False),
)

# A tenant's case limits (absent row: no approval needed, no write-off allowed).
case_settings = Table(
    "case_settings",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("approval_limit_minor", BigInteger, nullable=True),
    Column("write_off_limit_minor", BigInteger, nullable=False),
    Column("update_us", BigInteger, nullable=False),
)

# Dunning (migration 0009). A policy's levels are one JSON list: they are read and written as one.
dunning_policies = Table(
    "dunning_policies",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("policy_id", String(ID), primary_key=True),
    Column("display_name", String(512), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("levels", Text, nullable=False),  # JSON list of engine.dunning.model.Level
    Column("create_us", BigInteger, nullable=False),
)

# Where a customer's notices go.
dunning_contacts = Table(
    "dunning_contacts",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("customer_id", String(ID), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("postal_address", Text, nullable=False),
    Column("update_us", BigInteger, nullable=False),
)

# Promises to pay and exclusions; currency "" covers every currency, until_date NULL: no end.
dunning_holds = Table(
    "dunning_holds",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("customer_id", String(ID), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("until_date", String(10), nullable=True),
    Column("note", Text, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("create_us", BigInteger, nullable=False),
)

# The level each customer and currency reached under a policy, and the run date it was reached.
dunning_levels = Table(
    "dunning_levels",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("policy_id", String(ID), primary_key=True),
    Column("customer_id", String(ID), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("level", Integer, nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("update_us", BigInteger, nullable=False),
)

dunning_notices = Table(
    "dunning_notices",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("notice_id", String(64), primary_key=True),
    Column("policy_id", String(ID), nullable=False),
    Column("customer_id", String(ID), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("level", Integer, nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("items", Text, nullable=False),  # JSON list of engine.dunning.model.NoticeItem
    Column("total_minor", BigInteger, nullable=False),
    Column("fee_minor", BigInteger, nullable=False),
    Column("interest_minor", BigInteger, nullable=False),
    Column("channels", Text, nullable=False),  # JSON list of channel names
    Column("create_us", BigInteger, nullable=False),
    Index("ix_dunning_notices_customer", "tenant_id", "customer_id", "notice_id"),
)

# The outbox: one row per notice and channel, ever (the primary key), so no retry sends twice.
# A sender claims a row by moving lease_until_us forward with a guarded UPDATE.
dunning_deliveries = Table(
    "dunning_deliveries",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("notice_id", String(64), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("customer_id", String(ID), nullable=False),
    Column("recipient", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_us", BigInteger, nullable=False),
    Column("lease_until_us", BigInteger, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("sent_us", BigInteger, nullable=True),
    Column("create_us", BigInteger, nullable=False),
    Index("ix_dunning_deliveries_due", "tenant_id", "state", "next_attempt_us"),
)
