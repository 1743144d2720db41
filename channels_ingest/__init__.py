"""Channel adapters. Each turns its own kind of input into answers and calls
applicants.services.application_submit; none writes models directly."""
