import {
  to = cloudflare_r2_bucket.moltbot_data
  id = "${var.account_id}/moltbot-data/default"
}

resource "cloudflare_r2_bucket" "moltbot_data" {
  account_id = var.account_id
  name       = "moltbot-data"
}
