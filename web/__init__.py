"""The HTTP and browser side: app factory, API routes, pages, chat box and widget assets."""
