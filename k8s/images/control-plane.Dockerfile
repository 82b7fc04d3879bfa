# The control plane image, kuma-orleans/control-plane:0.1.0: Kuma.Silo and Kuma.Gateway in one image; the first
# argument picks the process (see control-plane-entrypoint.sh). Build from the repository root:
#   docker build -f k8s/images/control-plane.Dockerfile -t kuma-orleans/control-plane:0.1.0 .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# Kuma.Envoy's build installs the pinned Envoy API protos with npm (see node/).
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish Kuma.Silo/Kuma.Silo.csproj -c Release -o /out/silo \
 && dotnet publish Kuma.Gateway/Kuma.Gateway.csproj -c Release -o /out/gateway

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /out /app
COPY k8s/images/control-plane-entrypoint.sh /app/entrypoint.sh
# The image's non-root user (uid 1654), as the manifests' securityContext expects.
USER app
EXPOSE 5678 5680 5681 5682 11111 30000
ENTRYPOINT ["/app/entrypoint.sh"]
CMD ["all"]
