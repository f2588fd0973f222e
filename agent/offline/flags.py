"""The typed flags the analyzer raises and the composer reads: never display strings.

Every rule in `agent/offline/lexicon/<language>.yaml` is named by one of these members;
the lexicon loader refuses a name that is not here, so a typo is an error at start-up and
a renamed rule breaks the type checker, not a reply.
"""

from __future__ import annotations

from enum import StrEnum


class Signal(StrEnum):
    """What the email says happened. Category rules of every profile are built from these."""

    # deliveries
    not_arrived = "not_arrived"
    where_is_order = "where_is_order"
    late = "late"
    late_phrase = "late_phrase"
    tracking_stuck = "tracking_stuck"
    parcel_missing = "parcel_missing"
    partial_delivery = "partial_delivery"
    astray = "astray"
    wrong_item = "wrong_item"
    mishandled = "mishandled"
    shipping_words = "shipping_words"
    # money
    double_charge = "double_charge"
    wrong_amount = "wrong_amount"
    invoice_wrong = "invoice_wrong"
    charged_amount = "charged_amount"
    charged_foreign = "charged_foreign"
    fee = "fee"
    discount = "discount"
    billing_words = "billing_words"
    renewal = "renewal"
    seat_billing = "seat_billing"
    bill_shock = "bill_shock"
    roaming = "roaming"
    # faulty things
    arrived_damaged = "arrived_damaged"
    damaged = "damaged"
    not_working = "not_working"
    falling_apart = "falling_apart"
    stopped_working = "stopped_working"
    want_working = "want_working"
    poor_fit = "poor_fit"
    not_as_described = "not_as_described"
    safety = "safety"
    device_faulty = "device_faulty"
    # returns and refunds
    return_label = "return_label"
    return_not_processed = "return_not_processed"
    exchange_problem = "exchange_problem"
    return_words = "return_words"
    refund_refused = "refund_refused"
    outside_window = "outside_window"
    refund_requested = "refund_requested"
    refund_wanted = "refund_wanted"
    refund_missing = "refund_missing"
    voucher_not_cash = "voucher_not_cash"
    # accounts
    account_locked = "account_locked"
    locked_out = "locked_out"
    cannot_login = "cannot_login"
    login_help = "login_help"
    # staff
    rude = "rude"
    rude_gesture = "rude_gesture"
    humiliated = "humiliated"
    told_me = "told_me"
    staff_mention = "staff_mention"
    # cancelling and contracts
    cancel_word = "cancel_word"
    cancel_request = "cancel_request"
    charged_after_cancel = "charged_after_cancel"
    cancel_ignored = "cancel_ignored"
    cannot_cancel = "cannot_cancel"
    termination_fee = "termination_fee"
    price_rise = "price_rise"
    plan_change = "plan_change"
    # travel
    flight_delayed = "flight_delayed"
    flight_cancelled = "flight_cancelled"
    missed_connection = "missed_connection"
    stranded = "stranded"
    bag_lost = "bag_lost"
    bag_delayed = "bag_delayed"
    bag_damaged = "bag_damaged"
    name_error = "name_error"
    seat_problem = "seat_problem"
    booking_change = "booking_change"
    denied_boarding = "denied_boarding"
    miles_missing = "miles_missing"
    status_lost = "status_lost"
    # connectivity
    no_service = "no_service"
    slow_internet = "slow_internet"
    no_signal = "no_signal"
    technician_no_show = "technician_no_show"
    install_problem = "install_problem"
    porting_failed = "porting_failed"
    # software
    downtime = "downtime"
    feature_broken = "feature_broken"
    data_lost = "data_lost"
    export_failed = "export_failed"
    # about how we handled it, in any industry (each is an issue of its own)
    ticket_closed = "ticket_closed"
    no_reply = "no_reply"


class Want(StrEnum):
    refund = "refund"
    replacement = "replacement"
    cancel = "cancel"
    manager = "manager"
    explanation = "explanation"
    no_credit = "no_credit"  # "not store credit", "no vouchers"


class SelfError(StrEnum):
    """The customer says the problem was their own doing."""

    address = "address"
    forgot_cancel = "forgot_cancel"
    misread = "misread"
    wrong_choice = "wrong_choice"
    own_mistake = "own_mistake"


class Cue(StrEnum):
    """Phrases the analyzer reads besides signals: fault, repeats, tone, quoting."""

    ours = "ours"  # our error, said plainly
    denial = "denial"  # "not my fault": removed before looking for admissions
    not_signal = "not_signal"  # looks like a signal but is not ("the code doesn't work")
    overdue = "overdue"  # the delivery is overdue, so the delay is ours
    repeated = "repeated"  # not the first contact
    hostile = "hostile"  # angry words that are not profanity
    to_bot = "to_bot"  # a sentence addressed to the reply bot
    shown_price = "shown_price"  # "the checkout showed ..."
    charge_verb = "charge_verb"  # "charged", "took": with two amounts, charged more than shown
    insult_target = "insult_target"  # who an insult is aimed at: you, your staff, ...
    insult_noun = "insult_noun"  # an insult that names a person ("idiots"), aimed by itself
    attack = "attack"  # an attack on a person without an insult word ("f*** you")
    # weaker signs the customer's own choice caused it, read only for matching handlings
    theirs_renewal = "theirs_renewal"  # an agreed auto-renewal or trial
    theirs_address = "theirs_address"  # an old address still on the order
    theirs_fit = "theirs_fit"  # a size that does not fit
    theirs_code = "theirs_code"  # a promo code whose terms it does not meet
    theirs_usage = "theirs_usage"  # went over an allowance


class Handling(StrEnum):
    """Which of the composer's built-in next steps a profile category uses."""

    delivery = "delivery"
    billing = "billing"
    defective = "defective"
    returns = "returns"
    refund = "refund"
    account = "account"
    staff = "staff"
    cancellation = "cancellation"
    generic = "generic"  # the category's own `next_step` text


class Ask(StrEnum):
    """A fact the reply asks for when the email does not give it."""

    reference = "reference"  # the profile's main reference: order, booking, account
    product = "product"
    member = "member"  # a loyalty membership number
    steps = "steps"  # how to reproduce a software problem
    contact = "contact"  # when and how they contacted us (a staff complaint)


class Boundary(StrEnum):
    none = "none"
    respect = "respect"  # abuse aimed at people: ask once for a respectful conversation
    violence = "violence"  # a threat of violence: we cannot continue while it stands


class Reason(StrEnum):
    """Why a case is escalated. A chargeback, a review threat or a repeat contact alone
    never is."""

    violence = "violence"
    legal = "legal"
    safety = "safety"
    manager = "manager"
