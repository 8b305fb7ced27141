"""Pure domain types and logic: fact-checks, ratings, posts, claims, matches, ClaimReview."""
