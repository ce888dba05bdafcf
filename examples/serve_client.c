/* Scores one prompt/response pair with a running `rmtool serve` (POSIX sockets, no library).
   usage: serve_client [PORT] [PROMPT] [RESPONSE]   (prints the /score answer) */
#define _POSIX_C_SOURCE 200112L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *prompt = argc > 2 ? argv[2] : "Tom had a big red ball.", *resp = argc > 3 ? argv[3] : " He threw it to his friend.";
    char body[2048], req[4096], buf[4096];
    struct sockaddr_in a = {0};
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0), len;
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)(argc > 1 ? atoi(argv[1]) : 8080));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) return perror("connect"), 1;
    /* the texts go into JSON unescaped: keep them free of quotes and backslashes here */
    len = snprintf(body, sizeof(body), "{\"prompt\": \"%s\", \"response\": \"%s\"}", prompt, resp);
    n = snprintf(req, sizeof(req), "POST /score HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 "Content-Length: %d\r\nConnection: close\r\n\r\n%s", len, body);
    if (send(fd, req, (size_t)n, 0) != n) return perror("send"), 1;
    while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) buf[n] = 0, fputs(buf, stdout); /* status line, headers, JSON */
    close(fd);
    return 0;
}
