"""What the engine says, in one place (plain words; a deployment may reword them here)."""

WELCOME = "Hello! Let's do your {title} together. You can say help, back, summary or agent at any time."
WELCOME_BACK = "Welcome back: let's carry on where we stopped."
DEFAULT_PROMPT = "What is your {label}?"
MAY_SKIP = "(Say skip to leave it out.)"
SKIPPED = "Fine, we'll leave that out."
REQUIRED = "We need an answer to this one for the application, so it cannot be skipped."
NOT_ACCEPTED = "Sorry, that didn't work: {error}"
GOT_SEVERAL = "Thanks, I've noted your {labels}."
CHANGED = "Done: {label} is now {value}."
YOU_SAID = "You said {value}; tell me the new answer, or say it again."
GOING_BACK = "Going back."
AT_START = "This is the first question."
STARTING_OVER = "Starting again from the beginning; your earlier answers are deleted."
SUMMARY_INTRO = "Here is what I have:"
NOTHING_YET = "You haven't answered anything yet."
CONFIRM = (
    "Shall I send your application? Say yes to send it, or tell me what to change, "
    "for example: change my income to 52,000."
)
YES_OR_NO = "Please say yes to send your application, or tell me what to change."
WHAT_TO_CHANGE = "What would you like to change? Say, for example: change my income to 52,000, or say back."
SUBMITTED = (
    "Thank you, your application is sent. Your reference is {reference}. "
    "We will let you know the outcome; message again to ask how it is going."
)
SUBMITTED_GONE = "Your application was sent. Please contact us for its progress."
REASONS = "The main reasons: {reasons}."
DONT_KNOW = (
    "I'm afraid I don't know the answer to that. Say agent to talk to a person, "
    "or carry on with your application."
)
COMMANDS_HELP = (
    "You can say: back (previous question), summary (your answers so far), "
    "change ... to ... (correct an answer), start over, agent (talk to a person), "
    "or stop (finish later)."
)
STOPPED = (
    "Alright, we'll stop here. Your answers are kept for {days} days; message again any time to carry on."
)
HANDOFF = {
    "chat": "I've asked a member of our team to join; they can see your answers so far. "
    "You can keep going with me meanwhile.",
    "sms": "A member of our team will contact you on this number. You can keep answering meanwhile.",
    "voice": "Please hold while I put you through to a member of our team.",
}
NEEDS_ACCOUNT = (
    "To send your application it needs to be linked to you: please log in or "
    "create an account, then come back to this chat and say yes. Your answers are kept."
)
NOT_FOR_THIS_ACCOUNT = "This account cannot apply for itself; please use an applicant account."

# SMS keywords carriers require (answered before the engine sees the message).
SMS_STOPPED = "You will get no more messages from us. Reply START to begin again."
SMS_STARTED = "Welcome back. Your answers so far are kept."
SMS_HELP = "Loan applications by text from us. Reply STOP to stop messages."

# Voice: an answer heard with low confidence is read back.
HEARD = "I heard: {heard}. Is that right? Say yes or no."
SAY_AGAIN = "Sorry about that. Let's try again."
