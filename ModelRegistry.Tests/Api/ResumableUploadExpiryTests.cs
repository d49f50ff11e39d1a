using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Artifacts.Uploads;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// Unfinished resumable uploads expire <c>Registry:Artifacts:UploadExpiryHours</c> (24 by default) after their last byte,
/// and the sweep removes their bytes and their row; time is a manual clock.
/// </summary>
public sealed class ResumableUploadExpiryTests : IAsyncLifetime
{
    private const string Model = "expiring";
    private readonly ManualClock _clock = new();
    private readonly RegistryApp _app;
    private HttpClient _client = null!;

    public ResumableUploadExpiryTests() => _app = new RegistryApp { Clock = _clock };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var ds = await _app.CreateUserAsync(Roles.DataScientist);
        await _app.RegisterModelAsync(ds, Model);
        await _app.CreateVersionAsync(ds, Model);
        _client = await _app.ClientForAsync(ds);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    private string UploadsDirectory => Path.Combine(_app.DataDirectory, "artifacts", "uploads");

    private async Task<string> CreateAsync(string path, long length)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/models/{Model}/versions/1/uploads");
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Length", length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Metadata", "path " + Convert.ToBase64String(Encoding.UTF8.GetBytes(path)));
        using var response = await _client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var expires = DateTimeOffset.Parse(response.Headers.GetValues("Upload-Expires").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(_clock.GetUtcNow().AddHours(24), expires, TimeSpan.FromSeconds(1));
        return response.Headers.Location!.OriginalString;
    }

    private async Task<HttpStatusCode> PatchAsync(string url, long offset, byte[] bytes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, url)
        {
            Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/offset+octet-stream") } },
        };
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await _client.SendAsync(request, Ct);
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> HeadAsync(string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, url);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        using var response = await _client.SendAsync(request, Ct);
        return response.StatusCode;
    }

    private async Task<int> RowsAsync()
    {
        await using var db = await _app.DbAsync();
        return await db.Uploads.CountAsync(Ct);
    }

    [Fact]
    public async Task An_upload_that_receives_nothing_for_24_hours_is_swept_with_its_bytes()
    {
        var idle = await CreateAsync("idle.bin", 100_000);
        var active = await CreateAsync("active.bin", 100_000);
        Assert.Equal(HttpStatusCode.NoContent, await PatchAsync(idle, 0, RandomNumberGenerator.GetBytes(10_000)));
        Assert.Equal(2, Directory.GetFiles(UploadsDirectory).Length);
        var sweep = _app.Get<ResumableUploadService>();

        _clock.Advance(TimeSpan.FromHours(20));
        Assert.Equal(HttpStatusCode.NoContent, await PatchAsync(active, 0, RandomNumberGenerator.GetBytes(10_000)));
        _clock.Advance(TimeSpan.FromHours(3.9));
        Assert.Equal(0, await sweep.SweepExpiredAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, await HeadAsync(idle));

        _clock.Advance(TimeSpan.FromHours(0.2));
        var removed = await sweep.SweepExpiredAsync(Ct);

        Assert.Equal(1, removed);
        Assert.Equal(HttpStatusCode.NotFound, await HeadAsync(idle));
        Assert.Equal(HttpStatusCode.OK, await HeadAsync(active));
        Assert.Equal(1, await RowsAsync());
        Assert.Equal([active[(active.LastIndexOf('/') + 1)..] + ".part"], Directory.GetFiles(UploadsDirectory).Select(Path.GetFileName));

        _clock.Advance(TimeSpan.FromHours(21));
        Assert.Equal(1, await sweep.SweepExpiredAsync(Ct));
        Assert.Equal(0, await RowsAsync());
        Assert.Empty(Directory.GetFiles(UploadsDirectory));
    }

    [Fact]
    public async Task Bytes_no_upload_accounts_for_are_swept_once_an_hour_old()
    {
        Directory.CreateDirectory(UploadsDirectory);
        var stray = Path.Combine(UploadsDirectory, new string('b', 32) + ".part");
        await File.WriteAllBytesAsync(stray, [1, 2, 3], Ct);
        File.SetLastWriteTimeUtc(stray, _clock.GetUtcNow().UtcDateTime.AddMinutes(-30));
        var sweep = _app.Get<ResumableUploadService>();

        await sweep.SweepExpiredAsync(Ct);
        Assert.True(File.Exists(stray));
        File.SetLastWriteTimeUtc(stray, _clock.GetUtcNow().UtcDateTime.AddMinutes(-61));
        await sweep.SweepExpiredAsync(Ct);

        Assert.False(File.Exists(stray));
    }
}
