removed {
  from = cloudflare_record.moltbot
  lifecycle {
    destroy = false
  }
}

# Left with its v4 name: v5 calls it cloudflare_workers_route.
resource "cloudflare_worker_route" "moltbot" {
  zone_id     = var.zone_id
  pattern     = "moltbot.example.com/*"
  script_name = "moltbot-sandbox"
}

# Misspelt: no such type in v4 or v5.
resource "cloudflare_workers_custom_domains" "moltbot" {
  account_id = var.account_id
  hostname   = "moltbot.example.com"
  service    = "moltbot-sandbox"
}

resource "terraform_data" "deployed_at" {
  input = "wrangler deploy"
}
