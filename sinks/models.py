"""The sinks keep no tables of their own: what they owe lives in the outbox
(`outbox.OutboxMessage`), and drain wake-ups in `outbox.WakeUp`."""
