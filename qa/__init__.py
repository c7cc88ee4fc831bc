"""The assistant's domain: answers, intents and actions, settings, evaluation and the CLI."""
