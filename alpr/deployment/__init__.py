"""Deploying a trained model: local processes or a SeldonDeployment on Kubernetes."""
