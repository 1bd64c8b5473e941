# The Cloudflare side of a moltworker deployment, written for the Cloudflare provider v5: the
# R2 bucket OpenClaw's state is backed up to, the Access application in front of the Worker with
# a reusable policy that lets in GitHub logins, the AI Gateway the models are reached through, and
# the Worker's custom domain. The Containers application is not here: `wrangler deploy` builds
# the image and creates it, and the provider has no resource for it.
#
# `moltlab verify` applies this module to the Cloudflare API emulator when OpenTofu or Terraform
# and the provider are available (`--terraform DIR` runs yours instead).

terraform {
  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.19" # cloudflare_ai_gateway is new in v5.19.0
    }
  }
}

# Credentials and the API address come from CLOUDFLARE_API_TOKEN and CLOUDFLARE_BASE_URL.
provider "cloudflare" {}

variable "account_id" {
  type        = string
  description = "The Cloudflare account (32 hex digits)."
}

variable "zone_id" {
  type        = string
  description = "The zone the Worker's hostname is in."
}

variable "hostname" {
  type        = string
  description = "Where the Worker answers, e.g. moltbot.example.com."
  default     = "moltbot.example.com"
}

variable "worker_name" {
  type    = string
  default = "moltbot-sandbox"
}

resource "cloudflare_r2_bucket" "moltbot_data" {
  account_id = var.account_id
  name       = "moltbot-data"
  location   = "enam"
}

# The GitHub login method the account already has: looked up, not created, so this module
# never holds its client secret.
data "cloudflare_zero_trust_access_identity_providers" "all" {
  account_id = var.account_id
}

locals {
  github_idp_id = one([for idp in data.cloudflare_zero_trust_access_identity_providers.all.result : idp.id if idp.type == "github"])
}

resource "cloudflare_zero_trust_access_policy" "github_logins" {
  account_id = var.account_id
  name       = "moltbot: GitHub logins"
  decision   = "allow"
  include = [{
    login_method = { id = local.github_idp_id }
  }]
}

resource "cloudflare_zero_trust_access_application" "moltbot" {
  account_id       = var.account_id
  name             = "moltbot"
  type             = "self_hosted"
  domain           = var.hostname
  session_duration = "24h"
  allowed_idps     = [local.github_idp_id]
  policies = [{
    id         = cloudflare_zero_trust_access_policy.github_logins.id
    precedence = 1
  }]
}

resource "cloudflare_ai_gateway" "moltbot" {
  account_id                 = var.account_id
  id                         = "moltbot"
  cache_invalidate_on_update = true
  cache_ttl                  = 0
  collect_logs               = true
  rate_limiting_interval     = 0
  rate_limiting_limit        = 0
}

resource "cloudflare_workers_custom_domain" "moltbot" {
  account_id = var.account_id
  zone_id    = var.zone_id
  hostname   = var.hostname
  service    = var.worker_name
}

output "access_aud" {
  description = "CF_ACCESS_AUD for the Worker."
  value       = cloudflare_zero_trust_access_application.moltbot.aud
}
