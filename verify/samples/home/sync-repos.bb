#!/usr/bin/env bb
;; Sample script baked into the workspace (see Dockerfile.user): clones the repos the agent works on.
(require '[babashka.process :refer [shell]])
(doseq [repo ["github.com/x-motemen/ghq"]] (shell "ghq" "get" repo))
