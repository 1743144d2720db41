"""Settings of persistence: the sinks (DynamoDB, the warehouse) and the outbox drain."""

from config.env import env_list

# External stores every decision and review must reach, through the outbox.
SINKS = env_list("SINKS", [])
