# The runner's own check: OpenTofu's and Terraform's built-in terraform_data needs no provider,
# so this module goes through init, validate, plan, apply, plan again and destroy on any machine
# with the tool, proving the orchestration where the Cloudflare provider cannot be had.
variable "label" {
  type    = string
  default = "moltlab"
}

resource "terraform_data" "first" {
  input = "${var.label}-first"
}

resource "terraform_data" "second" {
  input            = "${var.label}-second"
  triggers_replace = [terraform_data.first.output]
}

output "second" {
  value = terraform_data.second.output
}
