-- Seed: stray semicolons, blank statements and comments only.
;;
  ; /* nothing */ ;
-- only a comment
