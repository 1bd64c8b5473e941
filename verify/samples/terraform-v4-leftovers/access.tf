data "cloudflare_zero_trust_access_identity_providers" "all" {
  account_id = var.account_id
}

resource "cloudflare_zero_trust_access_policy" "github" {
  account_id = var.account_id
  name       = "GitHub logins"
  decision   = "allow"
  include = [{
    login_method = {
      id = one([for idp in data.cloudflare_zero_trust_access_identity_providers.all.result : idp.id if idp.type == "github"])
    }
  }]
}

resource "cloudflare_zero_trust_access_application" "moltbot" {
  account_id = var.account_id
  name       = "moltbot"
  type       = "self_hosted"
  domain     = "moltbot.example.com"
  policies   = [{ id = cloudflare_zero_trust_access_policy.github.id, precedence = 1 }]
}

moved {
  from = cloudflare_access_application.moltbot
  to   = cloudflare_zero_trust_access_application.moltbot
}

moved {
  from = cloudflare_access_policy.github
  to   = cloudflare_zero_trust_access_policy.github
}
