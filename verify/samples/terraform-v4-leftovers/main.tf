# A test fixture shaped like a real deployment's Terraform after the v4 → v5 upgrade: the R2
# bucket was made by hand and brought in with an `import` block, the v4 resources were renamed
# with `moved` blocks, and a DNS record Terraform no longer manages was let go with `removed`.
# One v4 name was left behind unrenamed (cloudflare_worker_route), and one type is misspelt, so
# the static reading has something to flag.

terraform {
  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.8"
    }
  }
  backend "s3" {
    bucket = "someone-elses-terraform-state"
    key    = "moltbot/terraform.tfstate"
    region = "auto"
  }
}

provider "cloudflare" {
  api_token = var.cloudflare_api_token
}

variable "cloudflare_api_token" {
  type      = string
  sensitive = true
}

variable "account_id" {
  type = string
}

variable "zone_id" {
  type = string
}
