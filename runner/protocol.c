#include "protocol.h"

#include <stdlib.h>
#include <string.h>

void message_send(int dest, int tag, const Message *header, const char *text) {
    size_t text_len = text ? strlen(text) + 1 : 0;
    size_t size = sizeof(Message) + text_len;
    char *buf = malloc(size);
    if (!buf) MPI_Abort(MPI_COMM_WORLD, 1);
    Message empty = {0};
    memcpy(buf, header ? header : &empty, sizeof(Message));
    if (text_len) memcpy(buf + sizeof(Message), text, text_len);
    MPI_Send(buf, (int)size, MPI_BYTE, dest, tag, MPI_COMM_WORLD);
    free(buf);
}

void message_receive(const MPI_Status *status, Message *header, char **text) {
    int size = 0;
    MPI_Get_count(status, MPI_BYTE, &size);
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Recv(buf, size, MPI_BYTE, status->MPI_SOURCE, status->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    memset(header, 0, sizeof *header);
    if ((size_t)size >= sizeof(Message)) memcpy(header, buf, sizeof(Message));
    if (text) {
        *text = NULL;
        if ((size_t)size > sizeof(Message)) {
            size_t n = (size_t)size - sizeof(Message);
            *text = malloc(n + 1);
            memcpy(*text, buf + sizeof(Message), n);
            (*text)[n] = '\0';
        }
    }
    free(buf);
}
