using System.Net;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>The audit export names its file by the registry's clock (the injected <see cref="TimeProvider"/>), not the machine's.</summary>
public sealed class AuditExportClockTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("csv")]
    [InlineData("json")]
    public async Task The_export_file_name_carries_the_registry_clocks_time(string format)
    {
        var clock = new ManualClock();
        clock.Advance(new DateTimeOffset(2031, 5, 6, 12, 34, 56, TimeSpan.Zero) - clock.GetUtcNow());
        await using var app = new RegistryApp { Clock = clock };
        using var auditor = await app.ClientForAsync(await app.CreateUserAsync(Roles.Auditor));

        using var response = await auditor.GetAsync($"/api/v1/audit/export?format={format}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"audit-20310506-123456.{format}", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
    }
}
