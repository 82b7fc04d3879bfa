# The cluster agent image, kuma-orleans/cluster-agent:0.1.0 (it needs no Envoy protos, so no Node.js). Build from the
# repository root:
#   docker build -f k8s/images/cluster-agent.Dockerfile -t kuma-orleans/cluster-agent:0.1.0 .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish Kuma.ClusterAgent/Kuma.ClusterAgent.csproj -c Release -o /out

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /out /app
USER app
EXPOSE 5443
ENTRYPOINT ["dotnet", "/app/kuma-cluster-agent.dll"]
