"""Files: pictures, videos, pages and traces, each written atomically."""
